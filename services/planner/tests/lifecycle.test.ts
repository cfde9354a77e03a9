import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { datasetDigest } from "@semente/core/determinism";
import { assertEvidenceReport, buildReport } from "@semente/platform/evidence";
import { submitPurgeRun } from "@semente/platform/lifecycle";
import type { Manifest } from "@semente/core/manifest";
import { digestHex, planBatches } from "@semente/core/pipeline";
import { encodePurge, listDlq } from "@semente/platform/pipeline";
import { transitionRun } from "@semente/platform/runs";
import { snapshotTenant } from "../../../packages/platform/tests/lifecycle/utils.ts";
import type { Planner } from "../src/planner.ts";
import {
  admittedRun,
  bankingCounts,
  createPlannerTestEnv,
  OPEN_WINDOW,
  expectedDigest,
  type PlannerTestEnv,
  profile,
  smallManifest,
  startInProcessSeeder,
  startTestPlanner,
  waitForRun,
} from "./utils.ts";

const A = "l-alfa";
const B = "l-beta";
const LOAD = "l-carga";
const DEAD = "l-morto";
const DUP = "l-duplo";
const HALT = "l-parado";
const LOST = "l-perdido";
const TENANTS = [A, B, LOAD, DEAD, DUP, HALT, LOST] as const;
const ENDED = (s: string) => ["completed", "failed", "aborted", "cancelled"].includes(s);

let env: PlannerTestEnv;
let planner: Planner;

const WINDOW = OPEN_WINDOW;

function manifestFor(tenant: string, overrides: Partial<Manifest> = {}, environment = "dev"): Manifest {
  const base = profile(environment, "banco-alfa");
  return smallManifest(base, { metadata: { ...base.metadata, tenant }, batch_size: 100, window: WINDOW, ...overrides });
}

/** sha256 of every row of the tenant (banking tables and checkpoints) as text. */
async function tenantHash(tenant: string): Promise<string> {
  return createHash("sha256")
    .update(JSON.stringify(await snapshotTenant(env.db, tenant)))
    .digest("hex");
}

async function seedRun(manifest: Manifest, operation?: "seed" | "reseed") {
  const run = await admittedRun(env.db.appSql, manifest, { operation });
  return { id: run.id, done: await waitForRun(env.db.appSql, run.id, ENDED, 30_000) };
}

async function purge(tenant: string, mode: "baseline" | "load" = "baseline", environment = "dev") {
  const decision = await submitPurgeRun(
    { sql: env.db.appSql, admission: env.admission, now: () => new Date() },
    { tenantId: tenant, environment, mode, principal: "lifecycle-test" },
  );
  return { id: decision.run.id, done: await waitForRun(env.db.appSql, decision.run.id, ENDED, 30_000) };
}

async function runRow(id: string) {
  const [row] = await env.db.adminSql<{ operation: string; rows_deleted: string | null; purged_at: Date | null }[]>`
    select operation, rows_deleted::text, purged_at from seed.runs where id = ${id}`;
  return row;
}

async function checkpointsOf(tenant: string): Promise<number> {
  const [row] = await env.db.adminSql<{ n: number }[]>`
    select count(*)::int as n from seed.checkpoints where tenant_id = ${tenant}`;
  return row?.n ?? 0;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  env = await createPlannerTestEnv("planner_lifecycle", TENANTS);
  env.vault.createKey(`semente-fpe-staging-${LOAD}`);
  // A purge phase without progress for 2 s is published again (the lost-message test).
  planner = await startTestPlanner(env, 3, {}, { purgeStallMs: 2_000 });
});
afterAll(async () => {
  await planner.stop();
  await env.cleanup();
});

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

  test("purge run - a purge that cannot succeed is dead-lettered and fails the run; nothing was deleted", async () => {
    const ok = startInProcessSeeder(env, planner.names);
    try {
      expect((await seedRun(manifestFor(DEAD))).done.state).toBe("completed");
    } finally {
      await ok.stop();
    }
    const before = await tenantHash(DEAD);
    // The verification role may not bind a purge: every attempt fails, up to max deliver.
    const broken = startInProcessSeeder(env, planner.names, { purgeSql: env.db.verifierSql });
    try {
      const { id, done } = await purge(DEAD);
      expect(done.state).toBe("failed");
      expect(done.reason?.code).toBe("BATCH_DEAD_LETTERED");
      expect((await runRow(id))?.purged_at).toBeNull();
      expect(await tenantHash(DEAD)).toBe(before);
    } finally {
      await broken.stop();
    }
  }, 90_000);
  test("two deliveries of one purge at once: the copy is dropped while the first holds the run's purge lock; the run completes, rows counted once", async () => {
    const warm = startInProcessSeeder(env, planner.names);
    try {
      expect((await seedRun(manifestFor(DUP))).done.state).toBe("completed");
    } finally {
      await warm.stop();
    }
    const seeded = total(await bankingCounts(env.db.adminSql, DUP));
    const checkpoints = await checkpointsOf(DUP);
    // Two seeders pulling at once; small chunks so that the purge is still going when the copy lands.
    const seeders = [1, 2].map(() => startInProcessSeeder(env, planner.names, { purgeChunkRows: 5 }));
    try {
      const decision = await submitPurgeRun(
        { sql: env.db.appSql, admission: env.admission, now: () => new Date() },
        { tenantId: DUP, environment: "dev", mode: "baseline", principal: "lifecycle-test" },
      );
      const id = decision.run.id;
      for (let i = 0; i < 500; i++) {
        const [row] = await env.db.adminSql<{ n: number }[]>`
          select count(*)::int as n from seed.purge_progress where run_id = ${id}`;
        if ((row?.n ?? 0) > 0) break;
        await Bun.sleep(10);
      }
      // What a planner that restarted does: publish the purge phase again under a fresh id.
      const message = {
        v: 1 as const,
        kind: "purge" as const,
        runId: id,
        environment: "dev",
        tenant: DUP,
        mode: "baseline" as const,
      };
      await env.nats.js.publish(planner.names.batchSubject(message), encodePurge(message), {
        msgID: `${id}:purge:copy`,
      });
      const done = await waitForRun(env.db.appSql, id, ENDED, 60_000);
      expect(done.state).toBe("completed");
      expect(Number((await runRow(id))?.rows_deleted)).toBe(seeded + checkpoints);
      expect(total(await bankingCounts(env.db.adminSql, DUP))).toBe(0);
      expect((await listDlq(env.nats.jsm, planner.names)).filter((r) => r.purge?.runId === id)).toEqual([]);
      // the copy was taken and dropped, not left behind
      for (let i = 0; i < 200; i++) {
        const info = await env.nats.jsm.consumers.info(
          planner.names.streams.baseline,
          planner.names.consumers.baseline,
        );
        if (info.num_pending === 0 && info.num_ack_pending === 0) break;
        await Bun.sleep(50);
      }
      const info = await env.nats.jsm.consumers.info(planner.names.streams.baseline, planner.names.consumers.baseline);
      expect(info.num_pending + info.num_ack_pending).toBe(0);
    } finally {
      await Promise.all(seeders.map((x) => x.stop()));
    }
  }, 120_000);

  test("a purge cancelled before any seeder took it deletes nothing; the seeder drops its message", async () => {
    const warm = startInProcessSeeder(env, planner.names);
    try {
      expect((await seedRun(manifestFor(HALT))).done.state).toBe("completed");
    } finally {
      await warm.stop();
    }
    const before = await tenantHash(HALT);
    const decision = await submitPurgeRun(
      { sql: env.db.appSql, admission: env.admission, now: () => new Date() },
      { tenantId: HALT, environment: "dev", mode: "baseline", principal: "lifecycle-test" },
    );
    await waitForRun(env.db.appSql, decision.run.id, (s) => s === "running");
    await transitionRun(env.db.appSql, decision.run.id, { to: "cancelled", actor: "lifecycle-test" });
    const late = startInProcessSeeder(env, planner.names);
    try {
      for (let i = 0; i < 200; i++) {
        const info = await env.nats.jsm.consumers.info(
          planner.names.streams.baseline,
          planner.names.consumers.baseline,
        );
        if (info.num_pending === 0 && info.num_ack_pending === 0) break;
        await Bun.sleep(50);
      }
      expect(await tenantHash(HALT)).toBe(before);
      expect((await runRow(decision.run.id))?.purged_at).toBeNull();
      // The planner frees the lease once its reconcile loop sees the cancel, not at the cancel.
      for (let i = 0; i < 200 && (await env.admission.tenantHolder("dev", HALT)) !== null; i++) await Bun.sleep(50);
      expect(await env.admission.tenantHolder("dev", HALT)).toBeNull();
    } finally {
      await late.stop();
    }
  }, 120_000);
  test("a purge message the broker lost is published again once the phase stalls; the run completes", async () => {
    const warm = startInProcessSeeder(env, planner.names);
    try {
      expect((await seedRun(manifestFor(LOST))).done.state).toBe("completed");
    } finally {
      await warm.stop();
    }
    const decision = await submitPurgeRun(
      { sql: env.db.appSql, admission: env.admission, now: () => new Date() },
      { tenantId: LOST, environment: "dev", mode: "baseline", principal: "lifecycle-test" },
    );
    await waitForRun(env.db.appSql, decision.run.id, (s) => s === "running");
    // The purge message is published once running; lose it before any seeder pulls.
    for (let i = 0; i < 100; i++) {
      if ((await env.nats.jsm.streams.info(planner.names.streams.baseline)).state.messages > 0) break;
      await Bun.sleep(20);
    }
    await env.nats.jsm.streams.purge(planner.names.streams.baseline);
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const done = await waitForRun(env.db.appSql, decision.run.id, ENDED, 60_000);
      expect(done.state).toBe("completed");
      expect(total(await bankingCounts(env.db.adminSql, LOST))).toBe(0);
    } finally {
      await seeder.stop();
    }
  }, 120_000);
});
