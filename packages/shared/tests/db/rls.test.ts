import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { BANKING_TABLES, withTenant } from "../../src/db/index.ts";
import type { TestDatabase } from "../harness.ts";
import { createTestDatabase } from "../harness.ts";
import { bankingFixture, fixtureId, insertFixture } from "./fixtures.ts";

const A = "tenant-a";
const B = "tenant-b";
let db: TestDatabase;

async function sqlState(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (error) {
    if (error instanceof postgres.PostgresError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected the statement to fail");
}

beforeAll(async () => {
  db = await createTestDatabase("rls");
  await insertFixture(db.seederSql, A, 1);
  await insertFixture(db.seederSql, B, 2);
});

afterAll(async () => {
  await db.drop();
});

describe("rls - seeder scoped to tenant A", () => {
  for (const table of BANKING_TABLES) {
    test(`sees only tenant A rows and cannot touch tenant B rows in banking.${table}`, async () => {
      const rel = `banking.${table}`;
      const bId = table === "tenants" ? B : fixtureId(2, table);
      await withTenant(db.seederSql, A, async (tx) => {
        const rows = await tx<{ tenant_id: string }[]>`select tenant_id from ${tx(rel)}`;
        expect(rows.length).toBe(1);
        expect(rows.map((r) => r.tenant_id)).toEqual([A]);
        const byId = await tx`select 1 from ${tx(rel)} where id = ${bId}`;
        expect(byId.count).toBe(0);
        const updated = await tx`update ${tx(rel)} set created_at = created_at where tenant_id = ${B}`;
        expect(updated.count).toBe(0);
        const deleted = await tx`delete from ${tx(rel)} where id = ${bId}`;
        expect(deleted.count).toBe(0);
      });
    });

    test(`refuses a tenant B row inserted while app.tenant_id is A in banking.${table}`, async () => {
      const row = bankingFixture(B, 2, 9)[table];
      if (table === "tenants") Object.assign(row, { id: "tenant-b-two", tenant_id: "tenant-b-two" });
      const failure = await sqlState(
        withTenant(db.seederSql, A, async (tx) => {
          await tx`insert into ${tx(`banking.${table}`)} ${tx(row as Record<string, unknown>)}`;
        }),
      );
      expect(failure.code).toBe("42501");
      expect(failure.message).toContain("new row violates row-level security policy");
    });

    test(`refuses moving a tenant A row to tenant B in banking.${table}`, async () => {
      const failure = await sqlState(
        withTenant(db.seederSql, A, async (tx) => {
          await tx`update ${tx(`banking.${table}`)} set tenant_id = ${B} where tenant_id = ${A}`;
        }),
      );
      expect(failure.code).toBe("42501");
    });

    test(`shows nothing in banking.${table} when app.tenant_id is unset`, async () => {
      const rows = await db.seederSql`select 1 from ${db.seederSql(`banking.${table}`)}`;
      expect(rows.count).toBe(0);
    });
  }

  test("tenant B still has its untouched rows in every table", async () => {
    await withTenant(db.seederSql, B, async (tx) => {
      for (const table of BANKING_TABLES) {
        const rows = await tx<{ tenant_id: string }[]>`select tenant_id from ${tx(`banking.${table}`)}`;
        expect(rows.map((r) => r.tenant_id)).toEqual([B]);
      }
    });
  });

  test("the tenant setting does not outlive its transaction on a pooled connection", async () => {
    const conn = await db.seederSql.reserve();
    try {
      await conn.unsafe("begin");
      await conn`select set_config('app.tenant_id', ${A}, true)`;
      const inside = await conn`select 1 from banking.customers`;
      await conn.unsafe("commit");
      const after = await conn`select 1 from banking.customers`;
      const [setting] = await conn<{ value: string | null }[]>`select current_setting('app.tenant_id', true) as value`;
      expect(inside.count).toBe(1);
      expect(after.count).toBe(0);
      expect(setting?.value ?? "").toBe("");
    } finally {
      conn.release();
    }
  });

  test("the owner is subject to forced RLS too", async () => {
    const unset = await db.ownerSql`select 1 from banking.customers`;
    expect(unset.count).toBe(0);
    const scoped = await withTenant(db.ownerSql, B, (tx) => tx`select tenant_id from banking.customers`);
    expect(scoped.map((r) => r.tenant_id)).toEqual([B]);
  });
});

describe("rls - control-plane role", () => {
  test("reads banking tables under RLS but cannot write them", async () => {
    const rows = await withTenant(db.appSql, A, (tx) => tx`select tenant_id from banking.loans`);
    expect(rows.map((r) => r.tenant_id)).toEqual([A]);
    const failure = await sqlState(
      withTenant(db.appSql, A, (tx) => tx`delete from banking.installments where tenant_id = ${A}`),
    );
    expect(failure.code).toBe("42501");
    expect(failure.message).toContain("permission denied");
  });
});

describe("rls - seed.checkpoints", () => {
  test("checkpoints are segregated per tenant", async () => {
    const runId = "00000000-0000-4000-8000-0000000000aa";
    await db.appSql`
      insert into seed.runs (id, environment, tenant_id, mode, state, manifest_hash, manifest_version, manifest,
                             reference_datetime, key_version, principal)
      values (${runId}, 'dev', ${A}, 'baseline', 'running', ${"a".repeat(64)}, '1', '{}', '2025-01-01T00:00:00Z', 1, 'ci')`;
    await withTenant(db.seederSql, A, async (tx) => {
      await tx`
        insert into seed.checkpoints (tenant_id, environment, mode, run_id, entity, batch_index, from_ordinal,
                                      to_ordinal, row_count, digest, manifest_hash, key_version, reference_datetime)
        values (${A}, 'dev', 'baseline', ${runId}, 'customers', 0, 0, 10, 10, ${"b".repeat(64)}, ${"a".repeat(64)}, 1,
                '2025-01-01T00:00:00Z')`;
    });
    const seenByB = await withTenant(db.seederSql, B, (tx) => tx`select 1 from seed.checkpoints`);
    const seenByA = await withTenant(db.appSql, A, (tx) => tx`select 1 from seed.checkpoints`);
    expect(seenByB.count).toBe(0);
    expect(seenByA.count).toBe(1);
    const failure = await sqlState(
      withTenant(
        db.seederSql,
        B,
        (tx) => tx`
          insert into seed.checkpoints (tenant_id, environment, mode, run_id, entity, batch_index, from_ordinal,
                                        to_ordinal, row_count, digest, manifest_hash, key_version, reference_datetime)
          values (${A}, 'dev', 'baseline', ${runId}, 'customers', 1, 10, 20, 10, ${"b".repeat(64)}, ${"a".repeat(64)}, 1,
                  '2025-01-01T00:00:00Z')`,
      ),
    );
    expect(failure.code).toBe("42501");
  });
});
