import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isSementeError } from "@semente/core/errors";
import {
  createSql,
  MIGRATIONS_DIR,
  migrate,
  migrationStatus,
  pendingMigrations,
  readMigrationFiles,
} from "../../src/db/index.ts";
import type { Sql } from "../../src/db/index.ts";
import type { TestDatabase } from "../harness.ts";
import { createTestDatabase } from "../harness.ts";
import { copyMigrations } from "./utils.ts";

const files = readMigrationFiles(MIGRATIONS_DIR);
let db: TestDatabase;
let concurrent: TestDatabase;

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (error) {
    if (isSementeError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a SementeError");
}

async function appliedVersions(sql: Sql): Promise<number[]> {
  const rows = await sql<{ version: number }[]>`select version from seed.schema_migrations order by version`;
  return rows.map((r) => r.version);
}

beforeAll(async () => {
  [db, concurrent] = await Promise.all([
    createTestDatabase("migrate", { migrate: false }),
    createTestDatabase("migrate_concurrent", { migrate: false }),
  ]);
});

afterAll(async () => {
  await Promise.all([db.drop(), concurrent.drop()]);
});

describe("migrate", () => {
  test("lists every file as pending on an empty database, even for the seeder role", async () => {
    const pending = await pendingMigrations(db.seederSql, MIGRATIONS_DIR);
    expect(pending.map((f) => f.file)).toEqual(files.map((f) => f.file));
  });

  test("applies every file once, and a second run applies nothing", async () => {
    const first = await migrate(db.ownerSql, { dir: MIGRATIONS_DIR });
    expect(first.applied).toEqual(files.map((f) => f.file));
    expect(first.alreadyApplied).toBe(0);
    const second = await migrate(db.ownerSql, { dir: MIGRATIONS_DIR });
    expect(second).toEqual({ applied: [], alreadyApplied: files.length });
    expect(await appliedVersions(db.ownerSql)).toEqual(files.map((f) => f.version));
    expect(await pendingMigrations(db.seederSql, MIGRATIONS_DIR)).toEqual([]);
  });

  test("records checksums that match the files", async () => {
    const rows = await db.seederSql<{ version: number; checksum: string }[]>`
      select version, checksum from seed.schema_migrations order by version`;
    expect(rows.map((r) => [r.version, r.checksum])).toEqual(files.map((f) => [f.version, f.checksum]));
  });

  test("builds the CONCURRENTLY index of a no-transaction file, valid", async () => {
    expect(files.some((f) => !f.transactional)).toBe(true);
    const [index] = await db.ownerSql<{ valid: boolean; def: string }[]>`
      select i.indisvalid as valid, pg_get_indexdef(i.indexrelid) as def
        from pg_index i join pg_class c on c.oid = i.indexrelid
       where c.relname = 'financial_transactions_statement_idx'`;
    expect(index?.valid).toBe(true);
    expect(index?.def).toContain("(tenant_id, account_id, occurred_at)");
  });

  test("objects are owned by semente_owner", async () => {
    const owners = await db.ownerSql<{ owner: string }[]>`
      select distinct pg_get_userbyid(c.relowner) as owner
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname in ('banking', 'seed') and c.relkind in ('r', 'i', 'S')`;
    expect(owners.map((o) => o.owner)).toEqual(["semente_owner"]);
  });

  test("refuses with MIGRATION_DRIFT before applying anything when an applied file changed", async () => {
    const copy = copyMigrations();
    try {
      copy.append("0002_seed_schema.sql", "\n-- changed\n");
      copy.write("0009_after_drift.sql", "create table seed.after_drift (id int);\n");
      const failure = await errorOf(migrate(db.ownerSql, { dir: copy.dir }));
      expect(failure.code).toBe("MIGRATION_DRIFT");
      expect(failure.message).toContain("0002_seed_schema.sql");
      const [table] = await db.ownerSql`select to_regclass('seed.after_drift') as t`;
      expect(table?.t).toBeNull();
      const status = await migrationStatus(db.ownerSql, copy.dir);
      expect(status.drifted.map((d) => d.file)).toEqual(["0002_seed_schema.sql"]);
    } finally {
      copy.remove();
    }
  });

  test("rolls back a failing file entirely and applies it once fixed", async () => {
    const copy = copyMigrations();
    try {
      copy.write("0009_probe.sql", "create table seed.probe (id int);\nselect 1/0;\n");
      const failure = await errorOf(migrate(db.ownerSql, { dir: copy.dir }));
      expect(failure.code).toBe("INTERNAL");
      expect(failure.message).toContain("0009_probe.sql");
      const [before] = await db.ownerSql`select to_regclass('seed.probe') as t`;
      expect(before?.t).toBeNull();
      expect(await appliedVersions(db.ownerSql)).not.toContain(9);
      copy.write("0009_probe.sql", "create table seed.probe (id int);\n");
      expect((await migrate(db.ownerSql, { dir: copy.dir })).applied).toEqual(["0009_probe.sql"]);
      expect(await appliedVersions(db.ownerSql)).toContain(9);
    } finally {
      copy.remove();
    }
  });

  test("two concurrent migrators apply each file exactly once", async () => {
    const second = createSql(concurrent.urls.owner, { max: 2 });
    try {
      const results = await Promise.all([
        migrate(concurrent.ownerSql, { dir: MIGRATIONS_DIR }),
        migrate(second, { dir: MIGRATIONS_DIR }),
      ]);
      const applied = results.flatMap((r) => r.applied).sort();
      expect(applied).toEqual(files.map((f) => f.file));
      expect(await appliedVersions(concurrent.ownerSql)).toEqual(files.map((f) => f.version));
    } finally {
      await second.end();
    }
  });
});
