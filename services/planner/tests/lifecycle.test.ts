import { describe, expect, test } from "bun:test";
import { datasetDigest } from "@semente/core/determinism";
import { assertEvidenceReport, buildReport } from "@semente/platform/evidence";
import { digestHex, planBatches } from "@semente/core/pipeline";
import {
  A,
  B,
  checkpointsOf,
  env,
  LOAD,
  manifestFor,
  planner,
  purge,
  runRow,
  seedRun,
  tenantHash,
  total,
  useLifecycleEnv,
} from "./lifecycle-env.ts";
import { bankingCounts, expectedDigest, startInProcessSeeder } from "./utils.ts";

useLifecycleEnv("planner_lifecycle", [A, B, LOAD], [LOAD]);

describe("planner - purge and reseed runs", () => {
  test("purge run - deletes one tenant in reverse FK order as the seeder; the other tenant stays byte-identical", async () => {
    const seeder = startInProcessSeeder(env, planner.names, { purgeChunkRows: 50 });
    try {
      expect((await seedRun(manifestFor(A))).done.state).toBe("completed");
      expect((await seedRun(manifestFor(B))).done.state).toBe("completed");
      const countsA = await bankingCounts(env.db.adminSql, A);
      const seeded = total(countsA);
      const checkpoints = await checkpointsOf(A);
      const other = await tenantHash(B);

      const { id, done } = await purge(A);
      expect(done.state).toBe("completed");
      expect(done.dataset_digest).toBe(digestHex(datasetDigest([])));
      expect(done.rows_written).toBe("0");
      const row = await runRow(id);
      expect(row?.operation).toBe("purge");
      expect(Number(row?.rows_deleted)).toBe(seeded + checkpoints);
      expect(total(await bankingCounts(env.db.adminSql, A))).toBe(0);
      expect(await checkpointsOf(A)).toBe(0);
      expect(await tenantHash(B)).toBe(other);
      const chunks = await env.db.adminSql<{ entity: string }[]>`
        select entity from seed.purge_progress where run_id = ${id} order by committed_at, chunk`;
      // children first: transactions before accounts, the tenant row last before the checkpoints
      const order = chunks.map((c) => c.entity);
      expect(order.indexOf("financial_transactions")).toBeLessThan(order.indexOf("bank_accounts"));
      expect(order.at(-2)).toBe("tenants");
      expect(order.filter((e) => e === "financial_transactions").length).toBeGreaterThan(1);
      const audit = await env.db.adminSql<{ action: string; actor: string }[]>`
        select action, actor from seed.audit_log where run_id = ${id} order by id`;
      expect(audit).toContainEqual({ action: "purge.complete", actor: "semente_seeder" });
      expect(audit.map((a) => a.action)).toContain("preflight.pass");

      const report = await buildReport({ sql: env.db.appSql, runId: id });
      assertEvidenceReport(report);
      expect(report.run.operation).toBe("purge");
      expect(report.purge?.rows_deleted).toBe(seeded + checkpoints);
      expect(report.purge?.deleted.find((d) => d.entity === "financial_transactions")?.rows).toBe(
        countsA.financial_transactions,
      );
      expect(report.purge?.deleted.at(-1)).toEqual({ entity: "checkpoints", rows: checkpoints });
      expect(report.dataset.digest).toBe(datasetDigest([]));
      expect(report.dataset.matches_recorded).toBe(true);
      expect(Object.fromEntries(report.checklist.map((c) => [c.id, c.status]))).toMatchObject({
        rls: "pass",
        dataset: "pass",
        slo: "not_applicable",
        idempotency: "not_applicable",
        pii: "not_applicable",
      });
    } finally {
      await seeder.stop();
    }
  }, 90_000);

  test("reseed - plain seed of an edited reference_datetime is refused with the remedy; the reseed replaces the data", async () => {
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const first = manifestFor(A);
      expect((await seedRun(first)).done.state).toBe("completed");
      const before = await bankingCounts(env.db.adminSql, A);
      const other = await tenantHash(B);
      const edited = manifestFor(A, { reference_datetime: "2025-06-01T00:00:00Z" });

      const refused = await seedRun(edited);
      expect(refused.done.state).toBe("failed");
      const reason = refused.done.reason as { code: string; detail: string; drifted: string[] };
      expect(reason.code).toBe("REFERENCE_DATETIME_MISMATCH");
      expect(reason.detail).toContain("--reseed");
      expect(reason.detail).toContain(
        "reference_datetime: the tenant's data was generated for 2025-01-01T00:00:00.000Z",
      );
      expect(reason.detail).toContain("2025-06-01T00:00:00Z");
      expect(reason.drifted).toContain("reference_datetime");
      expect(await bankingCounts(env.db.adminSql, A)).toEqual(before);

      const reseed = await seedRun(edited, "reseed");
      expect(reseed.done.state).toBe("completed");
      expect(reseed.done.dataset_digest).toBe(await expectedDigest(env, edited));
      expect(await bankingCounts(env.db.adminSql, A)).toEqual(planBatches(edited).rowsPerEntity);
      expect(Number((await runRow(reseed.id))?.rows_deleted)).toBeGreaterThanOrEqual(total(before));
      expect(await tenantHash(B)).toBe(other);
      // only the reseed's checkpoints are left for the tenant
      const runs = await env.db.adminSql<{ run_id: string }[]>`
        select distinct run_id from seed.checkpoints where tenant_id = ${A}`;
      expect(runs.map((r) => r.run_id)).toEqual([reseed.id]);
      const report = await buildReport({ sql: env.db.appSql, runId: reseed.id });
      assertEvidenceReport(report);
      expect(report.run.operation).toBe("reseed");
      expect(report.purge?.rows_deleted).toBe(Number((await runRow(reseed.id))?.rows_deleted));
      expect(report.volumes.rows_written).toBe(planBatches(edited).totalRows);
      expect(report.dataset.digest).toBe(`sha256:${reseed.done.dataset_digest}`);
      expect(report.checklist.find((c) => c.id === "dataset")?.status).toBe("pass");
    } finally {
      await seeder.stop();
    }
  }, 90_000);

  test("load re-run - the mode's previous dataset is purged first, in the same run (R6.6)", async () => {
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const load = manifestFor(LOAD, { mode: "load" }, "staging");
      const first = await seedRun(load);
      expect(first.done.state).toBe("completed");
      const again = await seedRun(load);
      expect(again.done.state).toBe("completed");
      expect(again.done.dataset_digest).toBe(first.done.dataset_digest);
      const row = await runRow(again.id);
      expect(row?.operation).toBe("reseed");
      expect(Number(row?.rows_deleted)).toBeGreaterThan(Number(first.done.rows_written));
      const audit = await env.db.adminSql`
        select 1 from seed.audit_log where run_id = ${again.id} and action = 'run.purge_first'`;
      expect(audit.length).toBe(1);
      const runs = await env.db.adminSql<{ run_id: string }[]>`
        select distinct run_id from seed.checkpoints where tenant_id = ${LOAD}`;
      expect(runs.map((r) => r.run_id)).toEqual([again.id]);
    } finally {
      await seeder.stop();
    }
  }, 90_000);
});
