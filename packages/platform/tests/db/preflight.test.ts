import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isSementeError } from "@semente/core/errors";
import { assertPreflight, createSql, MIGRATIONS_DIR, runPreflight } from "../../src/db/index.ts";
import type { Sql } from "../../src/db/index.ts";
import type { TestDatabase } from "../harness.ts";
import { createTestDatabase } from "../harness.ts";
import type { MigrationsCopy } from "./utils.ts";
import { copyMigrations } from "./utils.ts";

let db: TestDatabase;
let copy: MigrationsCopy;
const opts = { migrationsDir: MIGRATIONS_DIR };

async function failureCode(sql: Sql, migrationsDir = MIGRATIONS_DIR): Promise<string> {
  try {
    await assertPreflight(sql, { migrationsDir });
  } catch (error) {
    if (isSementeError(error)) return error.code;
    throw error;
  }
  throw new Error("expected the preflight to fail");
}

beforeAll(async () => {
  db = await createTestDatabase("preflight");
  copy = copyMigrations();
});

afterAll(async () => {
  copy.remove();
  await db.drop();
});

describe("preflight", () => {
  test("passes for the seeder, app and owner roles on a migrated database", async () => {
    for (const sql of [db.seederSql, db.appSql, db.ownerSql]) {
      const result = await assertPreflight(sql, opts);
      expect(result.ok).toBe(true);
      expect(result.checks.map((c) => [c.check, c.ok])).toEqual([
        ["role", true],
        ["rls", true],
        ["tenant_binding", true],
        ["migrations", true],
      ]);
    }
  });

  test("refuses a superuser with PRIVILEGED_ROLE", async () => {
    expect(await failureCode(db.adminSql)).toBe("PRIVILEGED_ROLE");
  });

  test("refuses a BYPASSRLS role with PRIVILEGED_ROLE", async () => {
    const role = `semente_t_bypass_${process.pid}`;
    await db.adminSql.unsafe(`CREATE ROLE ${role} LOGIN BYPASSRLS`);
    await db.adminSql.unsafe(`GRANT CONNECT ON DATABASE "${db.name}" TO ${role}`);
    await db.adminSql.unsafe(`GRANT USAGE ON SCHEMA seed TO ${role}`);
    await db.adminSql.unsafe(`GRANT SELECT ON seed.schema_migrations TO ${role}`);
    const url = new URL(db.urls.seeder);
    url.username = role;
    const sql = createSql(url.toString(), { max: 1 });
    try {
      const result = await runPreflight(sql, opts);
      expect(result.checks[0]).toMatchObject({ check: "role", ok: false, code: "PRIVILEGED_ROLE" });
      expect(await failureCode(sql)).toBe("PRIVILEGED_ROLE");
    } finally {
      await sql.end();
      await db.adminSql.unsafe(`DROP OWNED BY ${role}`);
      await db.adminSql.unsafe(`REVOKE CONNECT ON DATABASE "${db.name}" FROM ${role}`);
      await db.adminSql.unsafe(`DROP ROLE ${role}`);
    }
  });

  test("refuses with RLS_NOT_ENFORCED naming the table when RLS is not forced on one table", async () => {
    await db.ownerSql`alter table banking.loans no force row level security`;
    try {
      const result = await runPreflight(db.seederSql, opts);
      const rls = result.checks.find((c) => c.check === "rls");
      expect(result.ok).toBe(false);
      expect(rls).toMatchObject({ ok: false, code: "RLS_NOT_ENFORCED" });
      expect(rls?.detail).toContain("banking.loans");
      expect(await failureCode(db.seederSql)).toBe("RLS_NOT_ENFORCED");
    } finally {
      await db.ownerSql`alter table banking.loans force row level security`;
    }
  });

  test("refuses with RLS_NOT_ENFORCED when RLS is disabled on seed.checkpoints", async () => {
    await db.ownerSql`alter table seed.checkpoints disable row level security`;
    try {
      const rls = (await runPreflight(db.seederSql, opts)).checks.find((c) => c.check === "rls");
      expect(rls?.detail).toContain("seed.checkpoints");
      expect(await failureCode(db.seederSql)).toBe("RLS_NOT_ENFORCED");
    } finally {
      await db.ownerSql`alter table seed.checkpoints enable row level security`;
    }
    expect((await runPreflight(db.seederSql, opts)).ok).toBe(true);
  });

  test("refuses with RLS_NOT_ENFORCED when a data-plane policy accepts a free-form tenant setting", async () => {
    const loose = [
      "create policy loose on banking.loans for select to public using (tenant_id = current_setting('app.tenant_id', true))",
      "create policy loose on seed.checkpoints for all to semente_seeder using (seed.bound_tenant() is not null) with check (true)",
      "create policy loose on banking.users for all to semente_seeder " +
        "using (seed.bound_tenant() is not null) with check (seed.bound_tenant() is not null)",
      "create policy loose on banking.tenants for insert to semente_seeder " +
        "with check (tenant_id = (select seed.bound_tenant()) or true)",
    ];
    for (const statement of loose) {
      await db.ownerSql.unsafe(statement);
      const table = statement.split(" on ")[1]?.split(" ")[0] ?? "";
      try {
        const binding = (await runPreflight(db.appSql, opts)).checks.find((c) => c.check === "tenant_binding");
        expect(binding).toMatchObject({ ok: false, code: "RLS_NOT_ENFORCED" });
        expect(binding?.detail).toContain(table);
        expect(await failureCode(db.seederSql)).toBe("RLS_NOT_ENFORCED");
      } finally {
        await db.ownerSql.unsafe(`drop policy loose on ${table}`);
      }
    }
    await db.ownerSql`drop policy seeder_bound_run on banking.contracts`;
    try {
      const binding = (await runPreflight(db.seederSql, opts)).checks.find((c) => c.check === "tenant_binding");
      expect(binding?.detail).toContain("banking.contracts");
    } finally {
      await db.ownerSql.unsafe(
        "create policy seeder_bound_run on banking.contracts for all to semente_seeder " +
          "using (tenant_id = (select seed.bound_tenant())) with check (tenant_id = (select seed.bound_tenant()))",
      );
    }
    expect((await runPreflight(db.seederSql, opts)).ok).toBe(true);
  });

  test("refuses with PENDING_MIGRATIONS when a migration file is not applied", async () => {
    copy.write("0009_pending_probe.sql", "select 1;\n");
    try {
      const result = await runPreflight(db.seederSql, { migrationsDir: copy.dir });
      const migrations = result.checks.find((c) => c.check === "migrations");
      expect(migrations).toMatchObject({ ok: false, code: "PENDING_MIGRATIONS" });
      expect(migrations?.detail).toContain("0009_pending_probe.sql");
      expect(await failureCode(db.seederSql, copy.dir)).toBe("PENDING_MIGRATIONS");
    } finally {
      copy.remove();
      copy = copyMigrations();
    }
  });

  test("refuses with PENDING_MIGRATIONS when a schema_migrations row is missing", async () => {
    const [row] = await db.ownerSql`delete from seed.schema_migrations where version = 4 returning *`;
    try {
      expect(await failureCode(db.appSql)).toBe("PENDING_MIGRATIONS");
    } finally {
      await db.ownerSql`insert into seed.schema_migrations ${db.ownerSql(row as Record<string, unknown>)}`;
    }
    expect((await runPreflight(db.appSql, opts)).ok).toBe(true);
  });

  test("refuses with MIGRATION_DRIFT when an applied file changed", async () => {
    copy.append("0003_role_grants.sql", "\n-- edited after being applied\n");
    try {
      const result = await runPreflight(db.seederSql, { migrationsDir: copy.dir });
      expect(result.checks.find((c) => c.check === "migrations")).toMatchObject({ ok: false, code: "MIGRATION_DRIFT" });
      expect(await failureCode(db.seederSql, copy.dir)).toBe("MIGRATION_DRIFT");
    } finally {
      copy.remove();
      copy = copyMigrations();
    }
  });

  test("the SQL mirror seed.preflight() agrees on role and RLS", async () => {
    const asSeeder = await db.seederSql<{ check_name: string; ok: boolean }[]>`select * from seed.preflight()`;
    const asAdmin = await db.adminSql<{ check_name: string; ok: boolean }[]>`select * from seed.preflight()`;
    expect(asSeeder.map((r) => [r.check_name, r.ok])).toEqual([
      ["role", true],
      ["rls", true],
    ]);
    expect(asAdmin.find((r) => r.check_name === "role")?.ok).toBe(false);
  });
});
