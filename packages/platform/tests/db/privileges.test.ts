import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DbRole } from "../../src/db/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";

const DOC = join(import.meta.dir, "../../../../docs/db-roles.md");
const ROLES = [DbRole.SEEDER, DbRole.APP, DbRole.VERIFIER] as const;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("privileges");
});

afterAll(async () => {
  await db.drop();
});

/**
 * The matrix of docs/db-roles.md as `object|role|PRIVILEGE` strings. A column grant
 * `seed.runs (a, b)` becomes one entry per column (`seed.runs.a`); functions are named without
 * their argument list. Objects listed with no privilege still count: they must exist.
 */
function documentedMatrix(): { grants: Set<string>; objects: Set<string> } {
  const text = readFileSync(DOC, "utf8");
  const block = text.split("<!-- privileges:begin -->")[1]?.split("<!-- privileges:end -->")[0];
  if (block === undefined) throw new Error("docs/db-roles.md has no privileges block");
  const lines = block
    .trim()
    .split("\n")
    .map((l) => l.trim());
  const header = (lines[0] ?? "")
    .split("|")
    .map((c) => c.trim())
    .filter(Boolean);
  expect(header.slice(1)).toEqual([...ROLES]);
  const grants = new Set<string>();
  const objects = new Set<string>();
  for (const line of lines.slice(2)) {
    const [object = "", ...cells] = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    const columns = /^(\S+) \((.+)\)$/.exec(object);
    const names = columns ? (columns[2] ?? "").split(", ").map((c) => `${columns[1]}.${c}`) : [object];
    for (const name of names) objects.add(name);
    cells.forEach((cell, i) => {
      if (cell === "—") return;
      for (const privilege of cell.split(", ")) {
        for (const name of names) grants.add(`${name}|${ROLES[i]}|${privilege}`);
      }
    });
  }
  return { grants, objects };
}

/** Every privilege our roles (and PUBLIC) hold in this database, from pg_catalog. */
async function catalogGrants(): Promise<{ grants: Set<string>; objects: Set<string>; publicGrants: string[] }> {
  const rows = await db.adminSql<{ object: string; grantee: string; privilege: string }[]>`
    with acl as (
      select 'database' as object, a.grantee, a.privilege_type
        from pg_database d, aclexplode(d.datacl) a where d.datname = current_database()
      union all
      select 'schema ' || n.nspname, a.grantee, a.privilege_type
        from pg_namespace n, aclexplode(n.nspacl) a where n.nspname in ('banking', 'seed')
      union all
      select n.nspname || '.' || c.relname, a.grantee, a.privilege_type
        from pg_class c join pg_namespace n on n.oid = c.relnamespace, aclexplode(c.relacl) a
       where n.nspname in ('banking', 'seed') and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
      union all
      select n.nspname || '.' || c.relname || '.' || att.attname, a.grantee, a.privilege_type
        from pg_attribute att join pg_class c on c.oid = att.attrelid join pg_namespace n on n.oid = c.relnamespace,
             aclexplode(att.attacl) a
       where n.nspname in ('banking', 'seed') and att.attnum > 0 and not att.attisdropped
      union all
      select n.nspname || '.' || p.proname || '()', a.grantee, a.privilege_type
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
             aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
       where n.nspname in ('banking', 'seed')
    )
    select object, case when grantee = 0 then 'PUBLIC' else grantee::regrole::text end as grantee,
           privilege_type as privilege
      from acl`;
  const grants = new Set<string>();
  const publicGrants: string[] = [];
  for (const r of rows) {
    if ((ROLES as readonly string[]).includes(r.grantee)) grants.add(`${r.object}|${r.grantee}|${r.privilege}`);
    if (r.grantee === "PUBLIC") publicGrants.push(`${r.object}|${r.privilege}`);
  }
  const named = await db.adminSql<{ name: string }[]>`
    select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('banking', 'seed') and c.relkind in ('r', 'p', 'v', 'm', 'f')
    union all
    select n.nspname || '.' || p.proname || '()' from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'seed' and p.prorettype <> 'trigger'::regtype`;
  return { grants, objects: new Set(named.map((r) => r.name)), publicGrants: publicGrants.sort() };
}

const sorted = (s: Set<string>) => [...s].sort();

describe("privileges - the catalog matches docs/db-roles.md", () => {
  test("every grant of semente_seeder, semente_app and semente_verifier is documented, and nothing more", async () => {
    const documented = documentedMatrix();
    const actual = await catalogGrants();
    expect(sorted(actual.grants)).toEqual(sorted(documented.grants));
  });

  test("every table and callable function of banking and seed has a row in the matrix", async () => {
    const documented = documentedMatrix();
    const actual = await catalogGrants();
    const missing = sorted(actual.objects).filter((o) => !documented.objects.has(o));
    expect(missing).toEqual([]);
  });

  test("PUBLIC holds nothing but EXECUTE on the trigger functions", async () => {
    const { publicGrants } = await catalogGrants();
    expect(publicGrants).toEqual(["seed.audit_log_append_only()|EXECUTE", "seed.evidence_index_append_only()|EXECUTE"]);
  });

  test("the has_*_privilege view agrees on the changes of issue 10", async () => {
    const [row] = await db.adminSql<Record<string, boolean>[]>`
      select has_table_privilege('semente_seeder', 'seed.batches', 'UPDATE') as seeder_updates_batches,
             has_table_privilege('semente_seeder', 'seed.runs', 'SELECT') as seeder_reads_runs,
             has_column_privilege('semente_seeder', 'seed.runs', 'manifest', 'SELECT') as seeder_reads_manifests,
             has_table_privilege('semente_seeder', 'seed.audit_log', 'INSERT') as seeder_inserts_audit,
             has_table_privilege('semente_app', 'seed.audit_log', 'INSERT') as app_inserts_audit,
             has_table_privilege('semente_app', 'banking.customers', 'SELECT') as app_reads_banking,
             has_table_privilege('semente_verifier', 'banking.customers', 'SELECT') as verifier_reads_banking,
             has_table_privilege('semente_verifier', 'banking.customers', 'INSERT') as verifier_writes_banking,
             has_function_privilege('semente_seeder', 'seed.bind_run_tenant(uuid)', 'EXECUTE') as seeder_binds,
             has_function_privilege('semente_app', 'seed.bind_run_tenant(uuid)', 'EXECUTE') as app_binds`;
    expect(row).toEqual({
      seeder_updates_batches: false,
      seeder_reads_runs: false,
      seeder_reads_manifests: false,
      seeder_inserts_audit: false,
      app_inserts_audit: false,
      app_reads_banking: false,
      verifier_reads_banking: true,
      verifier_writes_banking: false,
      seeder_binds: true,
      app_binds: false,
    });
  });

  test("no role of ours is superuser, BYPASSRLS or a member of another role", async () => {
    const rows = await db.adminSql<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean; member_of: number }[]>`
      select r.rolname, r.rolsuper, r.rolbypassrls,
             (select count(*)::int from pg_auth_members m where m.member = r.oid) as member_of
        from pg_roles r where r.rolname = any(${[...Object.values(DbRole)]}) order by 1`;
    expect(rows.map((r) => [r.rolname, r.rolsuper, r.rolbypassrls, r.member_of])).toEqual(
      [...Object.values(DbRole)].sort().map((name) => [name, false, false, 0]),
    );
  });
});
