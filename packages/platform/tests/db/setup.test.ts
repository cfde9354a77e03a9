import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { DbRole, passwordsFromUrls, setupDatabase } from "../../src/db/index.ts";
import type { TestDatabase } from "../harness.ts";
import { adminUrl, createTestDatabase } from "../harness.ts";

let db: TestDatabase;

async function sqlState(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (error instanceof postgres.PostgresError) return error.code;
    throw error;
  }
  throw new Error("expected the statement to fail");
}

beforeAll(async () => {
  db = await createTestDatabase("setup");
});

afterAll(async () => {
  await db.drop();
});

describe("setupDatabase", () => {
  test("creates four login roles without superuser, BYPASSRLS, CREATEROLE or CREATEDB", async () => {
    const rows = await db.adminSql<
      {
        rolname: string;
        rolcanlogin: boolean;
        rolsuper: boolean;
        rolbypassrls: boolean;
        rolcreaterole: boolean;
        rolcreatedb: boolean;
      }[]
    >`select rolname, rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb
        from pg_roles where rolname in ${db.adminSql(Object.values(DbRole))} order by rolname`;
    expect(rows.map((r) => r.rolname)).toEqual(["semente_app", "semente_owner", "semente_seeder", "semente_verifier"]);
    for (const r of rows) {
      expect([r.rolcanlogin, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb]).toEqual([
        true,
        false,
        false,
        false,
        false,
      ]);
    }
  });

  test("is idempotent and leaves the database owned by semente_owner", async () => {
    const again = await setupDatabase({ adminUrl: adminUrl(), database: db.name });
    expect(again.created).toBe(false);
    const [row] = await db.adminSql<{ owner: string; public_connect: boolean }[]>`
      select pg_get_userbyid(datdba) as owner, has_database_privilege('public', datname, 'CONNECT') as public_connect
        from pg_database where datname = ${db.name}`;
    expect(row).toEqual({ owner: "semente_owner", public_connect: false });
  });

  test("sets a role's password from its URL (quoted server-side), and only for our roles", async () => {
    expect(
      passwordsFromUrls([
        "postgres://semente_app:s%27e%22cret%20x@db:5432/semente",
        "postgres://semente_seeder@db:5432/semente",
        "postgres://postgres:root@db:5432/postgres",
        "postgres://semente_verifier:@db:5432/semente",
      ]),
    ).toEqual({ semente_app: `s'e"cret x` });
    // The roles are cluster-wide: restore the verifier's password (NULL on the dev cluster) after.
    const read = async () =>
      (
        await db.adminSql<{ p: string | null }[]>`
          select rolpassword as p from pg_authid where rolname = ${DbRole.VERIFIER}`
      )[0]?.p ?? null;
    const before = await read();
    try {
      await setupDatabase({
        adminUrl: adminUrl(),
        database: db.name,
        passwords: { semente_verifier: `x'; drop role x; --` },
      });
      expect(await read()).toMatch(/^SCRAM-SHA-256\$/);
      await setupDatabase({ adminUrl: adminUrl(), database: db.name, passwords: { semente_verifier: "" } });
      expect(await read()).toMatch(/^SCRAM-SHA-256\$/);
    } finally {
      if (before === null) await db.adminSql.unsafe(`ALTER ROLE ${DbRole.VERIFIER} PASSWORD NULL`);
      else {
        const [row] = await db.adminSql<
          { stmt: string }[]
        >`select format('ALTER ROLE %I PASSWORD %L', ${DbRole.VERIFIER}::text, ${before}::text) as stmt`;
        await db.adminSql.unsafe(row?.stmt ?? "");
      }
    }
    expect(await read()).toBe(before);
  });

  test("refuses a database name that is not a plain identifier", async () => {
    let code = "";
    try {
      await setupDatabase({ adminUrl: adminUrl(), database: 'x"; drop database postgres; --' });
    } catch (error) {
      code = (error as { code: string }).code;
    }
    expect(code).toBe("CONFIG_INVALID");
  });
});

describe("least-privilege grants", () => {
  test("the seeder cannot create tables, read runs or write migrations", async () => {
    expect(await sqlState(db.seederSql`create table banking.x (id int)`)).toBe("42501");
    expect(await sqlState(db.seederSql`select * from seed.runs`)).toBe("42501");
    expect(await sqlState(db.seederSql`delete from seed.schema_migrations`)).toBe("42501");
    // DELETE is granted for purges (migration 0100) but needs a purge run's binding: none, nothing goes.
    expect((await db.seederSql`delete from seed.checkpoints`).count).toBe(0);
  });

  test("the app role manages control tables but cannot change the schema", async () => {
    await db.appSql`
      insert into seed.idempotency_keys (key, principal, route, fingerprint, state, expires_at)
      values ('k1', 'ci', 'POST /api/v1/seed-runs', 'f', 'in_flight', now() + interval '1 day')`;
    const updated =
      await db.appSql`update seed.idempotency_keys set state = 'completed', status = 202 where key = 'k1'`;
    expect(updated.count).toBe(1);
    expect(await sqlState(db.appSql`alter table seed.runs add column x int`)).toBe("42501");
    expect(await sqlState(db.appSql`create table seed.x (id int)`)).toBe("42501");
  });
});
