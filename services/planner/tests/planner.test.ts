import { buildReport } from "@semente/platform/evidence";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openAdmissionBuckets, tenantLeaseKey } from "@semente/platform/bus";
import { claimLease, readLease } from "@semente/platform/admission";
import type { Manifest } from "@semente/core/manifest";
import { listDlq } from "@semente/platform/pipeline";
import { planBatches } from "@semente/core/pipeline";
import { transitionRun } from "@semente/platform/runs";
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

const TENANTS = ["p-happy", "p-load", "p-dry", "p-cancel", "p-poison", "p-retries", "p-crash"] as const;

let env: PlannerTestEnv;
let planner: Planner;

const WINDOW = OPEN_WINDOW;

function manifestFor(tenant: string, overrides: Partial<Manifest> = {}, environment = "dev"): Manifest {
  const base = profile(environment, environment === "dev" ? "banco-alfa" : "banco-alfa");
  return smallManifest(base, {
    metadata: { ...base.metadata, tenant },
    batch_size: 40,
    window: WINDOW,
    ...overrides,
  });
}

interface BatchRow {
  entity: string;
  batch_index: number;
  level: number;
  state: string;
  published_at: Date | null;
  committed_at: Date | null;
  reused_from_run: string | null;
}

async function batchesOf(runId: string): Promise<BatchRow[]> {
  return env.db.appSql<BatchRow[]>`
    SELECT entity, batch_index, level, state, published_at, committed_at, reused_from_run
      FROM seed.batches WHERE run_id = ${runId}`;
}

beforeAll(async () => {
  env = await createPlannerTestEnv("planner_core", TENANTS);
  for (const tenant of TENANTS) env.vault.createKey(`semente-fpe-staging-${tenant}`);
  planner = await startTestPlanner(env, 3);
});
afterAll(async () => {
  await planner.stop();
  await env.cleanup();
});

describe("planner", () => {
  let happyDigest = "";

  test("planner - seeds a baseline run: FK levels in order, one batch in flight, counts equal the plan", async () => {
    const seeder = startInProcessSeeder(env, planner.names);
    const manifest = manifestFor("p-happy");
    try {
      const run = await admittedRun(env.db.appSql, manifest);
      const done = await waitForRun(env.db.appSql, run.id, (s) => s === "completed" || s === "failed");
      expect(done.state).toBe("completed");
      expect(done.dataset_digest).toMatch(/^[0-9a-f]{64}$/);
      happyDigest = done.dataset_digest as string;
      expect(happyDigest).toBe(await expectedDigest(env, manifest));
      const plan = planBatches(manifest);
      expect(Number(done.rows_written)).toBe(plan.totalRows);
      expect(await bankingCounts(env.db.adminSql, "p-happy")).toEqual(plan.rowsPerEntity);
      const rows = await batchesOf(run.id);
      expect(rows).toHaveLength(plan.batches.length);
      expect(rows.every((r) => r.state === "committed")).toBe(true);
      // Baseline is sequential: each batch was published only after the previous one committed.
      const ordered = plan.batches.map(
        (b) => rows.find((r) => r.entity === b.entity && r.batch_index === b.batchIndex)!,
      );
      for (let i = 1; i < ordered.length; i++) {
        const [prev, next] = [ordered[i - 1] as BatchRow, ordered[i] as BatchRow];
        expect(next.published_at?.getTime()).toBeGreaterThanOrEqual(prev.committed_at?.getTime() ?? Number.NaN);
      }
      const audit = await env.db.appSql<
        { action: string }[]
      >`SELECT action FROM seed.audit_log WHERE run_id = ${run.id}`;
      expect(audit.map((a) => a.action)).toContain("preflight.pass");
      // The evidence of this real run: the planner's recorded digest is the report's, and the
      // rls and contracts items pass on what the planner and the seeder recorded.
      const report = await buildReport({ sql: env.db.appSql, runId: run.id });
      expect(report.dataset.digest).toBe(`sha256:${happyDigest}`);
      expect(report.dataset.matches_recorded).toBe(true);
      const status = Object.fromEntries(report.checklist.map((c) => [c.id, c.status]));
      expect(status).toMatchObject({ dataset: "pass", rls: "pass", contracts: "pass", idempotency: "pass" });
      expect(report.checklist.find((c) => c.id === "rls")?.evidence.role_bypassrls).toBe(false);
      expect(report.checklist.find((c) => c.id === "contracts")?.evidence.rows_validated).toBe(plan.totalRows);
    } finally {
      await seeder.stop();
    }
  }, 30_000);

  test("planner - re-submitting the same manifest skips every checkpointed batch and ends with the same digest", async () => {
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const before = await bankingCounts(env.db.adminSql, "p-happy");
      const run = await admittedRun(env.db.appSql, manifestFor("p-happy"));
      const done = await waitForRun(env.db.appSql, run.id, (s) => s === "completed" || s === "failed");
      expect(done.state).toBe("completed");
      expect(done.dataset_digest).toBe(happyDigest);
      expect(await bankingCounts(env.db.adminSql, "p-happy")).toEqual(before);
      const rows = await batchesOf(run.id);
      expect(rows.every((r) => r.reused_from_run !== null && r.published_at === null)).toBe(true);
    } finally {
      await seeder.stop();
    }
  }, 30_000);

  test("planner - a load run keeps at most PLANNER_PARALLELISM batches in flight and never crosses an FK level early", async () => {
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const manifest = manifestFor("p-load", { mode: "load" }, "staging");
      const run = await admittedRun(env.db.appSql, manifest);
      const done = await waitForRun(env.db.appSql, run.id, (s) => s === "completed" || s === "failed");
      expect(done.state).toBe("completed");
      const rows = await batchesOf(run.id);
      const levels = [...new Set(rows.map((r) => r.level))].sort((a, b) => a - b);
      for (let i = 1; i < levels.length; i++) {
        const parentsDone = Math.max(
          ...rows.filter((r) => r.level === levels[i - 1]).map((r) => r.committed_at!.getTime()),
        );
        const childStart = Math.min(...rows.filter((r) => r.level === levels[i]).map((r) => r.published_at!.getTime()));
        expect(childStart).toBeGreaterThanOrEqual(parentsDone);
      }
      // In flight at any instant: published and not yet committed.
      for (const r of rows) {
        const t = r.published_at!.getTime();
        const inFlight = rows.filter((o) => o.published_at!.getTime() <= t && o.committed_at!.getTime() > t).length;
        expect(inFlight).toBeLessThanOrEqual(3);
      }
      expect(await bankingCounts(env.db.adminSql, "p-load")).toEqual(planBatches(manifest).rowsPerEntity);
    } finally {
      await seeder.stop();
    }
  }, 30_000);

  test("planner - a dry run completes with the real run's digest and writes nothing", async () => {
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const dry = await admittedRun(env.db.appSql, manifestFor("p-dry"), { dryRun: true });
      const done = await waitForRun(env.db.appSql, dry.id, (s) => s === "completed" || s === "failed");
      expect(done.state).toBe("completed");
      expect(Object.values(await bankingCounts(env.db.adminSql, "p-dry")).every((n) => n === 0)).toBe(true);
      const [cp] = await env.db.adminSql<
        { n: string }[]
      >`SELECT count(*)::text AS n FROM seed.checkpoints WHERE tenant_id = 'p-dry'`;
      expect(cp?.n).toBe("0");
      const real = await admittedRun(env.db.appSql, manifestFor("p-dry"));
      const realDone = await waitForRun(env.db.appSql, real.id, (s) => s === "completed" || s === "failed");
      expect(realDone.dataset_digest).toBe(done.dataset_digest);
    } finally {
      await seeder.stop();
    }
  }, 30_000);

  test("planner - a cancelled run stops publishing within one batch and releases its leases", async () => {
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const run = await admittedRun(env.db.appSql, manifestFor("p-cancel", { batch_size: 10 }));
      const buckets = await openAdmissionBuckets(env.nats.nc, {
        prefix: env.nats.prefix,
        slotLeaseTtlMs: 60_000,
        tenantLeaseTtlMs: 60_000,
      });
      const leaseKey = tenantLeaseKey("dev", "p-cancel");
      const claimed = await claimLease(
        buckets.tenantLeases,
        leaseKey,
        { runId: run.id, holderId: "gateway-test", expiresAt: Date.now() + 60_000 },
        Date.now(),
      );
      expect(claimed.ok).toBe(true);
      await waitForRun(env.db.appSql, run.id, (s) => s === "running");
      for (let i = 0; i < 100; i++) {
        const committed = (await batchesOf(run.id)).filter((b) => b.state === "committed").length;
        if (committed >= 3) break;
        await Bun.sleep(50);
      }
      await transitionRun(env.db.appSql, run.id, { to: "cancelled", actor: "test" });
      await Bun.sleep(600);
      const after = await batchesOf(run.id);
      await Bun.sleep(600);
      const later = await batchesOf(run.id);
      expect(later.filter((b) => b.published_at !== null).length).toBe(
        after.filter((b) => b.published_at !== null).length,
      );
      expect(later.some((b) => b.state === "pending")).toBe(true);
      expect(planner.active()).not.toContain(run.id);
      expect(await readLease(buckets.tenantLeases, leaseKey)).toBeNull();
    } finally {
      await seeder.stop();
    }
  }, 30_000);

  test("planner - a poison batch lands in the DLQ after max deliveries and fails the run; re-submission completes it", async () => {
    const manifest = manifestFor("p-poison");
    const faulty = startInProcessSeeder(env, planner.names, { fault: { entity: "customers", batchIndex: 1 } });
    let failedRun = "";
    try {
      const run = await admittedRun(env.db.appSql, manifest);
      failedRun = run.id;
      const done = await waitForRun(env.db.appSql, run.id, (s) => s === "completed" || s === "failed");
      expect(done.state).toBe("failed");
      expect(done.reason?.code).toBe("BATCH_DEAD_LETTERED");
    } finally {
      await faulty.stop();
    }
    const dead = (await listDlq(env.nats.jsm, planner.names)).filter((r) => r.batch?.runId === failedRun);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.batch?.entity).toBe("customers");
    expect(dead[0]?.lastError?.code).toBe("INTERNAL");
    const healthy = startInProcessSeeder(env, planner.names);
    try {
      const again = await admittedRun(env.db.appSql, manifest);
      const done = await waitForRun(env.db.appSql, again.id, (s) => s === "completed" || s === "failed");
      expect(done.state).toBe("completed");
      expect(done.dataset_digest).toBe(await expectedDigest(env, manifest));
      expect(await bankingCounts(env.db.adminSql, "p-poison")).toEqual(planBatches(manifest).rowsPerEntity);
    } finally {
      await healthy.stop();
    }
  }, 30_000);

  test("planner - the manifest's max_retries, not max deliver, dead-letters a poison batch and fails the run", async () => {
    const base = manifestFor("p-retries");
    const manifest = manifestFor("p-retries", {
      rate_limit: { ...base.rate_limit, backoff: { ...base.rate_limit.backoff, max_retries: 0 } },
    });
    const faulty = startInProcessSeeder(env, planner.names, { fault: { entity: "customers", batchIndex: 0 } });
    try {
      const run = await admittedRun(env.db.appSql, manifest);
      const done = await waitForRun(env.db.appSql, run.id, (s) => s === "completed" || s === "failed");
      expect(done.state).toBe("failed");
      expect(done.reason?.code).toBe("BATCH_DEAD_LETTERED");
      const dead = (await listDlq(env.nats.jsm, planner.names)).filter((r) => r.batch?.runId === run.id);
      // One attempt (max_retries 0) where the consumer would have allowed two deliveries.
      expect(dead.map((d) => d.deliveries)).toEqual([1]);
    } finally {
      await faulty.stop();
    }
  }, 30_000);

  test("planner - a planner restart resumes a running run from seed.batches and seed.checkpoints", async () => {
    const manifest = manifestFor("p-crash", { batch_size: 20 });
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const run = await admittedRun(env.db.appSql, manifest);
      for (let i = 0; i < 200; i++) {
        const committed = (await batchesOf(run.id)).filter((b) => b.state === "committed").length;
        if (committed >= 4) break;
        await Bun.sleep(25);
      }
      await planner.stop();
      const [mid] = await env.db.appSql<{ state: string }[]>`SELECT state FROM seed.runs WHERE id = ${run.id}`;
      expect(mid?.state).toBe("running");
      planner = await startTestPlanner(env, 3);
      const done = await waitForRun(env.db.appSql, run.id, (s) => s === "completed" || s === "failed");
      expect(done.state).toBe("completed");
      expect(done.dataset_digest).toBe(await expectedDigest(env, manifest));
      expect(await bankingCounts(env.db.adminSql, "p-crash")).toEqual(planBatches(manifest).rowsPerEntity);
    } finally {
      await seeder.stop();
    }
  }, 30_000);
});
