import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { subjects } from "@semente/platform/bus";
import { buildReport } from "@semente/platform/evidence";
import { estimateCost, type Manifest } from "@semente/core/manifest";
import { planBatches } from "@semente/core/pipeline";
import { createPlannerMetrics } from "../src/instrumentation.ts";
import { runPauses } from "../src/pauses.ts";
import type { Planner } from "../src/planner.ts";
import {
  admittedRun,
  bankingCounts,
  batchStates as states,
  createPlannerTestEnv,
  expectedDigest,
  pacedManifest,
  type PlannerTestEnv,
  profile,
  smallManifest,
  startInProcessSeeder,
  startTestPlanner,
  waitForRun,
} from "./utils.ts";

const TENANT = "w-window";
const BUDGET_TENANT = "b-budget";
const SLO_TENANT = "s-slo";
const ALL_TABLES =
  "banking.users, banking.consultants, banking.account_categories, banking.suppliers, banking.customers, banking.addresses, banking.bank_accounts, banking.loans, banking.installments, banking.financial_transactions, banking.credit_limits, banking.contracts";

/** Real latency: every banking table locked for `ms`, as a long migration or a VACUUM FULL would. */
function lockTables(ms: number): Promise<unknown> {
  return env.db.adminSql.begin(async (tx) => {
    await tx.unsafe(`LOCK TABLE ${ALL_TABLES} IN ACCESS EXCLUSIVE MODE`);
    await Bun.sleep(ms);
  });
}

async function committedBatches(runId: string): Promise<number> {
  const [row] = await env.db.appSql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM seed.batches WHERE run_id = ${runId} AND state = 'committed'`;
  return row?.n ?? 0;
}

let env: PlannerTestEnv;
let planner: Planner;
const metrics = createPlannerMetrics(() => undefined);
// The planner's injected wall clock: preflight and the run-time window check read it.
let clock = new Date("2026-11-27T01:00:00Z");

beforeAll(async () => {
  env = await createPlannerTestEnv("planner_governance", [TENANT, BUDGET_TENANT, SLO_TENANT]);
  env.preflight.now = () => clock;
  planner = await startTestPlanner(env, 3, { budgetAlerts: metrics.budgetAlerts });
});
afterAll(async () => {
  await planner.stop();
  await env.cleanup();
});

function windowManifest(): Manifest {
  return pacedManifest(TENANT, { start_utc: "01:00", end_utc: "02:00" });
}

const batchStates = (runId: string) => states(env.db.appSql, runId);

describe("window at run time", () => {
  test("window - closing mid-run pauses after the batches in flight, opening resumes, and the digest is the uninterrupted one", async () => {
    const manifest = windowManifest();
    const plan = planBatches(manifest);
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const run = await admittedRun(env.db.appSql, manifest);
      for (let i = 0; i < 400 && ((await batchStates(run.id)).committed ?? 0) < 3; i++) await Bun.sleep(25);
      expect((await batchStates(run.id)).committed ?? 0).toBeGreaterThanOrEqual(3);

      clock = new Date("2026-11-27T02:30:00Z");
      await waitForRun(env.db.appSql, run.id, (s) => s === "paused");
      const atPause = await batchStates(run.id);
      expect(atPause.published ?? 0).toBe(0);
      expect(atPause.committed ?? 0).toBeLessThan(plan.batches.length);
      // Closed window: nothing is released however long it stays closed.
      await Bun.sleep(800);
      expect(await batchStates(run.id)).toEqual(atPause);
      expect(await runPauses(env.db.appSql, run.id)).toEqual([
        { reason: "window", pausedAt: new Date("2026-11-27T02:30:00Z"), resumedAt: null },
      ]);

      clock = new Date("2026-11-28T01:05:00Z");
      const done = await waitForRun(env.db.appSql, run.id, (s) => s === "completed" || s === "failed");
      expect(done.state).toBe("completed");
      expect(done.dataset_digest).toBe(await expectedDigest(env, manifest));
      expect(await bankingCounts(env.db.adminSql, TENANT)).toEqual(plan.rowsPerEntity);
      expect(await runPauses(env.db.appSql, run.id)).toEqual([
        {
          reason: "window",
          pausedAt: new Date("2026-11-27T02:30:00Z"),
          resumedAt: new Date("2026-11-28T01:05:00Z"),
        },
      ]);
      // The evidence report lists the pause (what the evidence service signs).
      const report = await buildReport({ sql: env.db.appSql, runId: run.id, costModel: env.preflight.costModel });
      expect(report.pauses).toEqual([
        {
          reason: "window",
          paused_at: "2026-11-27T02:30:00.000Z",
          resumed_at: "2026-11-28T01:05:00.000Z",
          duration_s: 81_300,
        },
      ]);
      expect(report.cost.ledger?.measurements).toBe(plan.batches.length);
      const audit = await env.db.appSql<{ action: string }[]>`
        SELECT action FROM seed.audit_log WHERE run_id = ${run.id} ORDER BY id`;
      const actions = audit.map((a) => a.action);
      expect(actions.indexOf("run.paused")).toBeGreaterThan(actions.indexOf("run.running"));
      expect(actions.lastIndexOf("run.running")).toBeGreaterThan(actions.indexOf("run.paused"));
    } finally {
      await seeder.stop();
    }
  }, 60_000);
});

/** A paced run whose budget is exactly its estimate: any real overhead is over budget. */
function tightManifest(): Manifest {
  const base = profile("dev", "banco-alfa");
  const manifest = smallManifest(base, {
    metadata: { ...base.metadata, tenant: BUDGET_TENANT },
    batch_size: 20,
    window: { start_utc: "00:00", end_utc: "23:59" },
    rate_limit: { ...base.rate_limit, target_rows_per_second: 100, cap_rows_per_second: 200 },
    // Here the lock only slows the run down (costing compute); the SLO gate is tested below.
    slo: { ...base.slo, p95_batch_ms: 30_000, p99_batch_ms: 60_000 },
  });
  const estimate = estimateCost(manifest, env.preflight.costModel);
  return { ...manifest, budget: { ...manifest.budget, max_cost: estimate.total } };
}

describe("FinOps live", () => {
  test("budget - injected latency trips the 80 % alert, then the run aborts fail-closed before its budget and writes nothing after", async () => {
    const manifest = tightManifest();
    const alerts = env.nats.nc.subscribe(`${env.events.subjectPrefix}seed.run.*.*.*.budget_alert`);
    const seeder = startInProcessSeeder(env, planner.names);
    let locker: Promise<unknown> | undefined;
    try {
      const run = await admittedRun(env.db.appSql, manifest);
      const committed = async () =>
        (
          await env.db.appSql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM seed.batches WHERE run_id = ${run.id} AND state = 'committed'`
        )[0]?.n ?? 0;
      for (let i = 0; i < 400 && (await committed()) < 2; i++) await Bun.sleep(25);
      // Real latency: every banking table locked for 4 s, as a long migration or a vacuum full would.
      locker = env.db.adminSql.begin(async (tx) => {
        await tx.unsafe(
          "LOCK TABLE banking.users, banking.consultants, banking.account_categories, banking.suppliers, banking.customers, banking.addresses, banking.bank_accounts, banking.loans, banking.installments, banking.financial_transactions, banking.credit_limits, banking.contracts IN ACCESS EXCLUSIVE MODE",
        );
        await Bun.sleep(4_000);
      });
      const done = await waitForRun(
        env.db.appSql,
        run.id,
        (s) => s !== "running" && s !== "admitted" && s !== "planning",
        60_000,
      );
      expect(done.state).toBe("aborted");
      expect(done.reason?.code).toBe("BUDGET_EXCEEDED");
      await locker;

      const ledger = await env.db.appSql<{ kind: string; amount: string; budget: string }[]>`
        SELECT kind, amount::text, budget::text FROM seed.budget_ledger WHERE run_id = ${run.id} ORDER BY id`;
      const kinds = ledger.map((l) => l.kind);
      expect(kinds[0]).toBe("estimate");
      expect(kinds.filter((k) => k === "alert")).toHaveLength(1);
      expect(kinds.at(-1)).toBe("abort");
      expect(kinds.indexOf("alert")).toBeLessThan(kinds.indexOf("abort"));
      const measured = ledger.filter((l) => l.kind === "measurement").reduce((sum, l) => sum + Number(l.amount), 0);
      expect(measured + env.preflight.costModel.evidence.per_report).toBeGreaterThanOrEqual(
        0.8 * manifest.budget.max_cost,
      );

      // The evidence report carries the ledger: estimate, the measurements, the alert and the abort.
      const { cost } = await buildReport({ sql: env.db.appSql, runId: run.id, costModel: env.preflight.costModel });
      expect(cost.ledger?.estimate).toBe(manifest.budget.max_cost);
      expect(cost.ledger?.measured).toBeCloseTo(measured + env.preflight.costModel.evidence.per_report, 6);
      expect(cost.ledger?.alert?.ratio).toBeGreaterThanOrEqual(0.8);
      expect(cost.ledger?.abort).not.toBeNull();
      expect(cost.reconciliation?.measured_minus_ledger).toBeCloseTo(
        (cost.measured ?? 0) - (cost.ledger?.measured ?? 0),
        6,
      );

      // The run's own rows; the lease release that follows the end is the admission's.
      const audit = await env.db.appSql<{ action: string; reason: string | null }[]>`
        SELECT action, reason FROM seed.audit_log WHERE run_id = ${run.id} AND action <> 'admission.release' ORDER BY id`;
      expect(audit.map((a) => a.action)).toContain("budget.alert");
      // …and the alert metric, once for this run.
      expect(await metrics.registry.render()).toMatch(
        /semente_budget_alerts_total\{environment="dev",mode="[a-z]+"\} 1\b/,
      );
      expect(audit.at(-1)).toEqual({ action: "run.aborted", reason: "BUDGET_EXCEEDED" });

      const event = await Promise.race([alerts[Symbol.asyncIterator]().next(), Bun.sleep(5_000).then(() => null)]);
      expect(event?.value?.subject).toBe(
        subjects.budgetAlert({ ...run, tenantId: BUDGET_TENANT }, env.events.subjectPrefix),
      );

      // Nothing written after the abort: no checkpoint after finished_at, and the counts stay put.
      const late = await env.db.adminSql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM seed.checkpoints c JOIN seed.runs r ON r.id = c.run_id
         WHERE c.run_id = ${run.id} AND c.committed_at > r.finished_at`;
      expect(late[0]?.n).toBe(0);
      const atAbort = await bankingCounts(env.db.adminSql, BUDGET_TENANT);
      await Bun.sleep(1_500);
      expect(await bankingCounts(env.db.adminSql, BUDGET_TENANT)).toEqual(atAbort);
      const batches = await env.db.appSql<{ state: string }[]>`
        SELECT state FROM seed.batches WHERE run_id = ${run.id} AND state = 'published'`;
      expect(batches).toHaveLength(0);
    } finally {
      alerts.unsubscribe();
      await locker?.catch(() => undefined);
      await seeder.stop();
    }
  }, 90_000);
});

describe("SLO gate", () => {
  test("slo - a lock held in the database makes batch p99 exceed the manifest's SLO: the run aborts with SLO_BREACHED, audited", async () => {
    const base = profile("dev", "banco-alfa");
    const manifest = smallManifest(base, {
      metadata: { ...base.metadata, tenant: SLO_TENANT },
      batch_size: 20,
      window: { start_utc: "00:00", end_utc: "23:59" },
      rate_limit: { ...base.rate_limit, target_rows_per_second: 200, cap_rows_per_second: 400 },
      slo: { ...base.slo, p95_batch_ms: 1_500, p99_batch_ms: 3_000 },
    });
    const seeder = startInProcessSeeder(env, planner.names);
    let locker: Promise<unknown> | undefined;
    try {
      const run = await admittedRun(env.db.appSql, manifest);
      // Enough fast samples first, so the gate judges a percentile and not a single batch.
      for (let i = 0; i < 800 && (await committedBatches(run.id)) < 10; i++) await Bun.sleep(25);
      expect(await committedBatches(run.id)).toBeGreaterThanOrEqual(10);
      locker = lockTables(4_000);
      const done = await waitForRun(env.db.appSql, run.id, (s) => s !== "running", 60_000);
      expect(done.state).toBe("aborted");
      const reason = done.reason as { code?: string; type?: string; p99_ms?: number };
      expect(reason.code).toBe("SLO_BREACHED");
      expect(reason.type).toBe("https://semente.dev/problems/slo-breached");
      expect(reason.p99_ms).toBeGreaterThan(3_000);
      const audit = await env.db.appSql<{ action: string; reason: string | null; details: { p99_ms?: number } }[]>`
        SELECT action, reason, details FROM seed.audit_log
         WHERE run_id = ${run.id} AND action <> 'admission.release' ORDER BY id`;
      expect(audit.at(-1)).toMatchObject({ action: "run.aborted", reason: "SLO_BREACHED" });
      expect(audit.at(-1)?.details.p99_ms).toBeGreaterThan(3_000);
    } finally {
      await locker?.catch(() => undefined);
      await seeder.stop();
    }
  }, 90_000);
});
