import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Manifest } from "@semente/shared/manifest";
import { planBatches } from "@semente/shared/pipeline";
import { runPauses } from "../src/pauses.ts";
import type { Planner } from "../src/planner.ts";
import {
  admittedRun,
  bankingCounts,
  createPlannerTestEnv,
  expectedDigest,
  type PlannerTestEnv,
  profile,
  smallManifest,
  startInProcessSeeder,
  startTestPlanner,
  waitForRun,
} from "./utils.ts";

const TENANT = "w-window";

let env: PlannerTestEnv;
let planner: Planner;
// The planner's injected wall clock: preflight and the run-time window check read it.
let clock = new Date("2026-11-27T01:00:00Z");

beforeAll(async () => {
  env = await createPlannerTestEnv("planner_window", [TENANT]);
  env.preflight.now = () => clock;
  planner = await startTestPlanner(env, 3);
});
afterAll(async () => {
  await planner.stop();
  await env.cleanup();
});

function windowManifest(): Manifest {
  const base = profile("dev", "banco-alfa");
  return smallManifest(base, {
    metadata: { ...base.metadata, tenant: TENANT },
    batch_size: 20,
    window: { start_utc: "01:00", end_utc: "02:00" },
    // About five batches a second: the test closes the window while the run is writing.
    rate_limit: { ...base.rate_limit, target_rows_per_second: 100, cap_rows_per_second: 200 },
  });
}

async function batchStates(runId: string): Promise<Record<string, number>> {
  const rows = await env.db.appSql<{ state: string; n: number }[]>`
    SELECT state, count(*)::int AS n FROM seed.batches WHERE run_id = ${runId} GROUP BY state`;
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

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
