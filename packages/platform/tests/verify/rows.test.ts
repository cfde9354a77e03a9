import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { withTenant } from "../../src/db/index.ts";
import { Isolation } from "../../src/db/types.ts";
import { generateBatch } from "@semente/core/factories";
import type { Manifest } from "@semente/core/manifest";
import { bulkInsert } from "../../src/pipeline/index.ts";
import { planBatches } from "@semente/core/pipeline";
import { describeDifference, inSample, verifyRows } from "../../src/verify/index.ts";
import { contextFor, profile } from "../../../core/tests/factories/utils.ts";
import { createTestDatabase, runningRun, type TestDatabase } from "../harness.ts";

let db: TestDatabase;
const manifest: Manifest = profile("dev", "banco-alfa");
const ctx = contextFor(manifest);
const tenant = manifest.metadata.tenant;

beforeAll(async () => {
  db = await createTestDatabase("verify_rows");
  // The dev baseline, written batch by batch in plan order through the real write path, as the
  // seeder bound to a running run of the tenant.
  const runId = await runningRun(db, tenant);
  for (const b of planBatches(manifest).batches) {
    await withTenant(db.seederSql, tenant, (tx) => bulkInsert(tx, generateBatch(ctx, b.entity, b.from, b.to)), {
      isolation: Isolation.SERIALIZABLE,
      runId,
    });
  }
});
afterAll(async () => {
  await db.drop();
});

const verify = (sample?: number) =>
  verifyRows({ sql: db.verifierSql, manifest, ctx, ...(sample === undefined ? {} : { sample }) });

describe("verifyRows - reads every row and compares it with the manifest", () => {
  test("the seeded dev baseline verifies: every row compared, no difference", async () => {
    const result = await verify();
    expect(result.ok).toBe(true);
    expect(result.differenceCount).toBe(0);
    expect(result.rowsCompared).toBe(planBatches(manifest).totalRows);
    expect(result.sample).toBeNull();
  });

  test("one value changed as superuser is named by entity, ordinal and column, never by value; restored it verifies", async () => {
    const [row] = await db.adminSql<{ id: string; full_name: string }[]>`
      select id, full_name from banking.customers where tenant_id = ${tenant} order by id limit 1`;
    const original = row?.full_name as string;
    await db.adminSql`update banking.customers set full_name = 'Tampered Name' where id = ${row?.id as string}`;
    try {
      const result = await verify();
      expect(result.ok).toBe(false);
      expect(result.differenceCount).toBe(1);
      const d = result.differences[0];
      expect(d).toMatchObject({ entity: "customers", kind: "value", column: "full_name", id: row?.id });
      expect(typeof d?.ordinal).toBe("number");
      const text = JSON.stringify(result) + describeDifference(d as NonNullable<typeof d>);
      expect(text).not.toContain("Tampered");
      expect(text).not.toContain(original);
    } finally {
      await db.adminSql`update banking.customers set full_name = ${original} where id = ${row?.id as string}`;
    }
    expect((await verify()).ok).toBe(true);
  });

  test("a numeric, a date and a timestamp changed are each detected", async () => {
    const [loan] = await db.adminSql<{ id: string }[]>`select id from banking.loans order by id limit 1`;
    const id = loan?.id as string;
    await db.adminSql`update banking.loans set principal = principal + 0.01, contracted_on = contracted_on - 1,
      created_at = created_at + interval '1 millisecond' where id = ${id}`;
    try {
      const result = await verify();
      expect(result.differences.map((d) => d.column).sort()).toEqual(["contracted_on", "created_at", "principal"]);
    } finally {
      await db.adminSql`update banking.loans set principal = principal - 0.01, contracted_on = contracted_on + 1,
        created_at = created_at - interval '1 millisecond' where id = ${id}`;
    }
    expect((await verify()).ok).toBe(true);
  });

  test("a deleted row is missing and an added row is extra", async () => {
    const [row] = await db.adminSql`select * from banking.contracts order by id limit 1`;
    const copy = { ...(row as Record<string, unknown>) };
    await db.adminSql`delete from banking.contracts where id = ${copy.id as string}`;
    const extraId = "00000000-0000-4000-8000-000000000001";
    await db.adminSql`insert into banking.contracts ${db.adminSql({ ...copy, id: extraId, number: "EXTRA-1" })}`;
    try {
      const result = await verify();
      const kinds = result.differences.map((d) => `${d.entity}:${d.kind}:${d.id}`);
      expect(kinds).toContain(`contracts:missing:${copy.id}`);
      expect(kinds).toContain(`contracts:extra:${extraId}`);
      expect(result.entities.find((e) => e.entity === "contracts")?.present).toBe(
        result.entities.find((e) => e.entity === "contracts")?.expected,
      );
    } finally {
      await db.adminSql`delete from banking.contracts where id = ${extraId}`;
      await db.adminSql`insert into banking.contracts ${db.adminSql(copy)}`;
    }
    expect((await verify()).ok).toBe(true);
  });

  test("an extra row without a missing one is still detected", async () => {
    const [row] = await db.adminSql`select * from banking.users order by id limit 1`;
    const extraId = "00000000-0000-4000-8000-000000000002";
    const copy = { ...(row as Record<string, unknown>), id: extraId, login: "extra.login", email: "x@example.com" };
    await db.adminSql`insert into banking.users ${db.adminSql(copy)}`;
    try {
      const result = await verify();
      expect(result.differences).toEqual([
        { entity: "users", kind: "extra", ordinal: null, id: extraId, column: null },
      ]);
    } finally {
      await db.adminSql`delete from banking.users where id = ${extraId}`;
    }
  });

  test("--sample compares a deterministic subset and says so", async () => {
    const a = await verify(0.1);
    const b = await verify(0.1);
    expect(a.ok).toBe(true);
    expect(a.sample).toBe(0.1);
    expect(a.rowsCompared).toBe(b.rowsCompared);
    expect(a.rowsCompared).toBeGreaterThan(0);
    expect(a.rowsCompared).toBeLessThan(planBatches(manifest).totalRows / 4);
    expect(inSample("loans", 7, 1)).toBe(true);
    await expect(verify(0)).rejects.toThrow(RangeError);
  });

  test("the reader sees only its tenant: a row of another tenant is not an extra row", async () => {
    const [row] = await db.adminSql`select * from banking.tenants where id = ${tenant}`;
    await db.adminSql`insert into banking.tenants ${db.adminSql({ ...(row as Record<string, unknown>), id: "banco-zeta", tenant_id: "banco-zeta" })}`;
    const result = await verify();
    expect(result.ok).toBe(true);
    expect(result.entities.every((e) => e.present === e.expected)).toBe(true);
  });

  test("lanes - entities checked on 3 connections in one exported snapshot give the same result, differences in the same order", async () => {
    const [customer] = await db.adminSql<{ id: string; full_name: string }[]>`
      select id, full_name from banking.customers order by id limit 1`;
    const [loan] = await db.adminSql<{ id: string }[]>`select id from banking.loans order by id limit 1`;
    await db.adminSql`update banking.customers set full_name = 'Lane Tamper' where id = ${customer?.id as string}`;
    await db.adminSql`update banking.loans set principal = principal + 0.01 where id = ${loan?.id as string}`;
    try {
      const one = await verifyRows({ sql: db.verifierSql, manifest, ctx, concurrency: 1 });
      const three = await verifyRows({ sql: db.verifierSql, manifest, ctx, concurrency: 3 });
      expect(one.differenceCount).toBe(2);
      expect(three).toEqual(one);
      // Kept differences are the first ones in plan order, whichever lane found them first.
      const capped = await verifyRows({ sql: db.verifierSql, manifest, ctx, concurrency: 3, maxDifferences: 1 });
      expect(capped.differenceCount).toBe(2);
      expect(capped.differences).toEqual(one.differences.slice(0, 1));
    } finally {
      await db.adminSql`update banking.customers set full_name = ${customer?.full_name as string} where id = ${customer?.id as string}`;
      await db.adminSql`update banking.loans set principal = principal - 0.01 where id = ${loan?.id as string}`;
    }
    expect((await verify()).ok).toBe(true);
  });

  test("lanes - every lane reads the first lane's snapshot: a row written after the export is seen by none", async () => {
    await withTenant(
      db.verifierSql,
      tenant,
      async (tx) => {
        const [exported] = await tx<{ id: string }[]>`select pg_export_snapshot() as id`;
        const [before] = await tx<{ n: number }[]>`select count(*)::int as n from banking.users`;
        const [row] = await db.adminSql`select * from banking.users order by id limit 1`;
        const extraId = "00000000-0000-4000-8000-000000000003";
        await db.adminSql`insert into banking.users ${db.adminSql({ ...(row as Record<string, unknown>), id: extraId, login: "after.export", email: "after@example.com" })}`;
        try {
          const seen = await withTenant(
            db.verifierSql,
            tenant,
            async (lane) => (await lane<{ n: number }[]>`select count(*)::int as n from banking.users`)[0]?.n,
            { isolation: Isolation.REPEATABLE_READ, readOnly: true, snapshot: exported?.id as string },
          );
          expect(seen).toBe(before?.n);
        } finally {
          await db.adminSql`delete from banking.users where id = ${extraId}`;
        }
      },
      { isolation: Isolation.REPEATABLE_READ, readOnly: true },
    );
    // Only a pg_export_snapshot id is ever spliced into SET TRANSACTION SNAPSHOT.
    await expect(
      withTenant(db.verifierSql, tenant, async () => 1, { isolation: Isolation.REPEATABLE_READ, snapshot: "x'; drop" }),
    ).rejects.toThrow("not a snapshot id");
  });
});
