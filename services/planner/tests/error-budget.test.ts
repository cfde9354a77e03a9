import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Planner } from "../src/planner.ts";
import {
  admittedRun,
  createPlannerTestEnv,
  type PlannerTestEnv,
  profile,
  smallManifest,
  startInProcessSeeder,
  startTestPlanner,
  waitForRun,
} from "./utils.ts";

const ERROR_TENANT = "e-errors";

let env: PlannerTestEnv;
let planner: Planner;

beforeAll(async () => {
  env = await createPlannerTestEnv("planner_error_budget", [ERROR_TENANT]);
  // The broker's backstop above the manifest's max_retries: the run's retry policy decides.
  env.pipeline.settings.maxDeliver = 25;
  planner = await startTestPlanner(env, 3);
});
afterAll(async () => {
  await planner.stop();
  await env.cleanup();
});
describe("error budget", () => {
  test("slo - failed deliveries over slo.max_error_rate abort the run with SLO_BREACHED once the batches in flight finish", async () => {
    const base = profile("dev", "banco-alfa");
    const manifest = smallManifest(base, {
      metadata: { ...base.metadata, tenant: ERROR_TENANT },
      batch_size: 20,
      window: { start_utc: "00:00", end_utc: "23:59" },
      rate_limit: {
        ...base.rate_limit,
        target_rows_per_second: 200,
        cap_rows_per_second: 400,
        // Retries enough that no batch reaches the DLQ while the failures last.
        backoff: { initial_ms: 50, max_ms: 200, multiplier: 2, max_retries: 20 },
      },
      slo: { ...base.slo, max_error_rate: 0.05 },
    });
    // Real failures: every customers insert of this tenant raises while the trigger exists, with a
    // transient SQLSTATE (53400), so the seeder naks the batch on the manifest's backoff.
    await env.db.adminSql.unsafe(`
      CREATE FUNCTION public.inject_customer_failure() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.tenant_id = '${ERROR_TENANT}' THEN RAISE EXCEPTION 'injected failure' USING ERRCODE = '53400'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER inject_customer_failure BEFORE INSERT ON banking.customers
        FOR EACH ROW EXECUTE FUNCTION public.inject_customer_failure();`);
    let dropped = false;
    const drop = async () => {
      if (dropped) return;
      dropped = true;
      await env.db.adminSql.unsafe(`
        DROP TRIGGER inject_customer_failure ON banking.customers;
        DROP FUNCTION public.inject_customer_failure();`);
    };
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const run = await admittedRun(env.db.appSql, manifest);
      const failedDeliveries = async () =>
        (
          await env.db.appSql<{ n: number }[]>`
          SELECT coalesce(sum(attempts), 0)::int AS n FROM seed.batches
           WHERE run_id = ${run.id} AND last_error IS NOT NULL`
        )[0]?.n ?? 0;
      // Three failed deliveries are more than 5 % of the gate's 50-outcome window, however many
      // commits surround them.
      for (let i = 0; i < 2_400 && (await failedDeliveries()) < 3; i++) await Bun.sleep(25);
      expect(await failedDeliveries()).toBeGreaterThanOrEqual(3);
      // The failures stop: the batches in flight commit, then the gate's verdict applies.
      await drop();
      const done = await waitForRun(env.db.appSql, run.id, (s) => s !== "running", 60_000);
      expect(done.state).toBe("aborted");
      const reason = done.reason as { code?: string; error_rate?: number; max_error_rate?: number };
      expect(reason.code).toBe("SLO_BREACHED");
      expect(reason.max_error_rate).toBe(0.05);
      expect(reason.error_rate).toBeGreaterThan(0.05);
      const audit = await env.db.appSql<{ action: string; reason: string | null }[]>`
        SELECT action, reason FROM seed.audit_log WHERE run_id = ${run.id} AND action <> 'admission.release' ORDER BY id`;
      expect(audit.at(-1)).toEqual({ action: "run.aborted", reason: "SLO_BREACHED" });
      const published = await env.db.appSql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM seed.batches WHERE run_id = ${run.id} AND state = 'published'`;
      expect(published[0]?.n).toBe(0);
    } finally {
      await drop();
      await seeder.stop();
    }
  }, 90_000);
});
