import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildReport } from "@semente/platform/evidence";
import { createExportGate } from "@semente/platform/telemetry";
import { planBatches } from "@semente/core/pipeline";
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
  startInProcessSeeder,
  startTestPlanner,
  waitForRun,
} from "./utils.ts";

// T067 at run time: where telemetry is required (staging/prod), a running run pauses while the
// planner's trace export is down past its bound and resumes when it recovers. The gate is the real
// one the planner's telemetry builds; the test records the export outcomes a collector would cause.
const TENANT = "t-telemetry";
let env: PlannerTestEnv;
let planner: Planner;
let monotonic = 0;
const gate = createExportGate({ required: true, boundMs: 1_000, now: () => monotonic });

beforeAll(async () => {
  env = await createPlannerTestEnv("planner_telemetry_hold", [TENANT]);
  planner = await startTestPlanner(env, 3, {}, { telemetryGate: gate });
});
afterAll(async () => {
  await planner.stop();
  await env.cleanup();
});

const batchStates = (runId: string) => states(env.db.appSql, runId);

describe("telemetry hold at run time", () => {
  test("telemetry - export down past its bound pauses a running run after its batches in flight; recovery resumes it with the uninterrupted digest", async () => {
    const manifest = pacedManifest(TENANT, { start_utc: "00:00", end_utc: "23:59" });
    const plan = planBatches(manifest);
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const run = await admittedRun(env.db.appSql, manifest);
      for (let i = 0; i < 400 && ((await batchStates(run.id)).committed ?? 0) < 3; i++) await Bun.sleep(25);
      expect((await batchStates(run.id)).committed ?? 0).toBeGreaterThanOrEqual(3);

      // Failing for less than the bound holds nothing.
      gate.record(false);
      monotonic += 500;
      expect(gate.state().status).toBe("failing");
      const before = (await batchStates(run.id)).committed ?? 0;
      for (let i = 0; i < 200 && ((await batchStates(run.id)).committed ?? 0) <= before; i++) await Bun.sleep(25);
      expect((await batchStates(run.id)).committed ?? 0).toBeGreaterThan(before);

      // Past the bound: the run pauses once its batches in flight are in, and nothing more is released.
      monotonic += 600;
      expect(gate.state().status).toBe("down");
      await waitForRun(env.db.appSql, run.id, (s) => s === "paused");
      const atPause = await batchStates(run.id);
      expect(atPause.published ?? 0).toBe(0);
      expect(atPause.committed ?? 0).toBeLessThan(plan.batches.length);
      await Bun.sleep(800);
      expect(await batchStates(run.id)).toEqual(atPause);
      const open = await runPauses(env.db.appSql, run.id);
      expect(open.map((p) => [p.reason, p.resumedAt])).toEqual([["telemetry", null]]);

      // One delivery succeeds: the gate reopens and the run resumes and completes as if never held.
      gate.record(true);
      const done = await waitForRun(env.db.appSql, run.id, (s) => s === "completed" || s === "failed");
      expect(done.state).toBe("completed");
      expect(done.dataset_digest).toBe(await expectedDigest(env, manifest));
      expect(await bankingCounts(env.db.adminSql, TENANT)).toEqual(plan.rowsPerEntity);
      const pauses = await runPauses(env.db.appSql, run.id);
      expect(pauses).toHaveLength(1);
      expect(pauses[0]?.reason).toBe("telemetry");
      expect(pauses[0]?.resumedAt).not.toBeNull();

      // The signed report lists the pause with its reason; the audit trail has the pause and the resume.
      const report = await buildReport({ sql: env.db.appSql, runId: run.id, costModel: env.preflight.costModel });
      expect(report.pauses?.map((p) => p.reason)).toEqual(["telemetry"]);
      const audit = await env.db.appSql<{ action: string; reason: string | null }[]>`
        SELECT action, details ->> 'reason' AS reason FROM seed.audit_log WHERE run_id = ${run.id} ORDER BY id`;
      const paused = audit.find((a) => a.action === "run.paused");
      expect(paused?.reason).toBe("telemetry");
      const resumed = audit.filter((a) => a.action === "run.running").at(-1);
      expect(resumed?.reason).toBe("telemetry");
    } finally {
      await seeder.stop();
    }
  }, 60_000);
});
