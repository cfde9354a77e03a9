import { createS3WormStore } from "@semente/platform/evidence";
import { type ProblemCode, problemType } from "@semente/core/errors";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIGRATIONS_DIR } from "@semente/platform/db";
import { createLocalDevKeyProvider, createVaultTransitKeyProvider } from "@semente/platform/keys";
import type { Manifest } from "@semente/core/manifest";
import { ensurePipelineStreams, type PipelineNames } from "@semente/platform/pipeline";
import { type ExecutorDeps, startRun } from "../src/executor.ts";
import type { PreflightDeps } from "../src/preflight.ts";
import {
  admittedRun,
  bankingCounts,
  createPlannerTestEnv,
  type PlannerTestEnv,
  profile,
  quietLog,
  smallManifest,
  startInProcessSeeder,
  waitForRun,
} from "./utils.ts";

const TENANT = "f-closed";
let env: PlannerTestEnv;
let names: PipelineNames;

function manifest(overrides: Partial<Manifest> = {}): Manifest {
  const base = profile("dev", "banco-alfa");
  return smallManifest(base, { metadata: { ...base.metadata, tenant: TENANT }, batch_size: 100, ...overrides });
}

function deps(preflight: Partial<PreflightDeps> = {}): ExecutorDeps {
  return {
    sql: env.db.appSql,
    js: env.nats.js,
    names,
    events: env.events,
    preflight: { ...env.preflight, ...preflight },
    parallelism: 3,
    reconcileMs: 100,
    log: quietLog,
    leases: env.leases,
    release: async (runId) => {
      await env.admission.release(runId);
    },
  };
}

async function publishedBatches(): Promise<number> {
  let total = 0;
  for (const stream of Object.values(names.streams)) total += (await env.nats.jsm.streams.info(stream)).state.messages;
  return total;
}

/** Runs `m` through the executor with `preflight` overrides and checks the refusal wrote nothing. */
async function expectRefused(
  m: Manifest,
  code: string,
  preflight: Partial<PreflightDeps> = {},
  state = "failed",
): Promise<void> {
  const countsBefore = await bankingCounts(env.db.adminSql, TENANT);
  const publishedBefore = await publishedBatches();
  const run = await admittedRun(env.db.appSql, m);
  await startRun(deps(preflight), run.id).done;
  const done = await waitForRun(env.db.appSql, run.id, (s) => s !== "admitted", 5_000);
  expect(done.state).toBe(state);
  expect(done.reason?.code).toBe(code);
  expect(done.reason?.type).toBe(problemType(code as ProblemCode));
  const [batches] = await env.db.appSql<
    { n: string }[]
  >`SELECT count(*)::text AS n FROM seed.batches WHERE run_id = ${run.id}`;
  expect(batches?.n).toBe("0");
  expect(await bankingCounts(env.db.adminSql, TENANT)).toEqual(countsBefore);
  expect(await publishedBatches()).toBe(publishedBefore);
  const audit = await env.db.appSql<{ outcome: string; reason: string }[]>`
    SELECT outcome, reason FROM seed.audit_log WHERE run_id = ${run.id} AND action = 'preflight.refuse'`;
  expect(audit.map((a) => ({ outcome: a.outcome, reason: a.reason }))).toEqual([{ outcome: "refused", reason: code }]);
}

beforeAll(async () => {
  env = await createPlannerTestEnv("planner_preflight", [TENANT]);
  names = await ensurePipelineStreams(env.nats.jsm, env.pipeline);
});
afterAll(async () => {
  await env.cleanup();
});

function closedWindow(): { start_utc: string; end_utc: string } {
  const at = (h: number) => {
    const d = new Date(Date.now() + h * 3_600_000);
    return `${String(d.getUTCHours()).padStart(2, "0")}:00`;
  };
  return { start_utc: at(2), end_utc: at(3) };
}

describe("planner preflight fails closed and writes nothing", () => {
  test("planner - refuses a run outside the window (aborted)", async () => {
    await expectRefused(manifest({ window: closedWindow() }), "OUTSIDE_WINDOW", {}, "aborted");
  }, 15_000);

  test("planner - refuses a run whose estimate is over budget (aborted)", async () => {
    await expectRefused(
      manifest({ budget: { max_cost: 0.000001, currency: "USD" } }),
      "BUDGET_EXCEEDED",
      {},
      "aborted",
    );
  }, 15_000);

  test("planner - refuses a manifest over its caps", async () => {
    const m = manifest();
    m.volumetry.customers = { count: 50, cap: 10 };
    await expectRefused(m, "CAP_EXCEEDED");
  }, 15_000);

  test("planner - refuses an entity whose flag is off", async () => {
    const m = manifest();
    await expectRefused({ ...m, flags: { ...m.flags, customers: false } }, "FLAG_OFF");
  }, 15_000);

  test("planner - refuses when the data-plane role is a superuser (bypasses RLS)", async () => {
    await expectRefused(manifest(), "PRIVILEGED_ROLE", { dataPlaneSql: env.db.adminSql });
  }, 15_000);

  test("planner - refuses when RLS is not forced on a banking table", async () => {
    await env.db.adminSql`ALTER TABLE banking.loans NO FORCE ROW LEVEL SECURITY`;
    try {
      await expectRefused(manifest(), "RLS_NOT_ENFORCED");
    } finally {
      await env.db.adminSql`ALTER TABLE banking.loans FORCE ROW LEVEL SECURITY`;
    }
  }, 15_000);

  test("planner - refuses when the data plane may choose its tenant (policy not bound to a run)", async () => {
    await env.db.adminSql`
      CREATE POLICY loose ON banking.customers FOR ALL TO semente_seeder
        USING (tenant_id = current_setting('app.tenant_id', true))`;
    try {
      await expectRefused(manifest(), "RLS_NOT_ENFORCED");
    } finally {
      await env.db.adminSql`DROP POLICY loose ON banking.customers`;
    }
  }, 15_000);

  test("planner - refuses with a pending migration", async () => {
    const dir = mkdtempSync(join(tmpdir(), "semente-migrations-"));
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      writeFileSync(join(dir, "9999_pending.sql"), "SELECT 1;\n");
      await expectRefused(manifest(), "PENDING_MIGRATIONS", { migrationsDir: dir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 15_000);

  test("planner - refuses when the key provider is unreachable", async () => {
    const down = createVaultTransitKeyProvider({ endpoint: "http://127.0.0.1:9", token: "hvs.x", timeoutMs: 500 });
    await expectRefused(manifest(), "KEY_PROVIDER_UNAVAILABLE", { keys: () => down });
  }, 15_000);

  test("planner - refuses when the WORM evidence store is unreachable", async () => {
    const worm = createS3WormStore({
      bucket: "evidence",
      endpoint: "http://127.0.0.1:9",
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
      requestTimeoutMs: 500,
    });
    await expectRefused(manifest(), "WORM_UNAVAILABLE", { worm });
  }, 15_000);

  test("planner - refuses a key version other than the provider's", async () => {
    await expectRefused(manifest({ key_version: 2 }), "KEY_VERSION_MISMATCH");
  }, 15_000);

  test("planner - refuses the local dev key outside isolated dev", async () => {
    const keys = () => createLocalDevKeyProvider({ environment: "dev", isolatedDev: false, env: {} });
    await expectRefused(manifest(), "DEV_KEY_FORBIDDEN", { keys });
  }, 15_000);

  test("planner - refuses data the manifest's checkpoints do not explain", async () => {
    await expectDriftRefused();
  }, 30_000);

  test("planner - refuses a reference_datetime or key version that differs from the last checkpoint", async () => {
    const seeder = startInProcessSeeder(env, names);
    try {
      const run = await admittedRun(env.db.appSql, manifest());
      await startRun(deps(), run.id).done;
      expect((await waitForRun(env.db.appSql, run.id, (s) => s === "completed" || s === "failed")).state).toBe(
        "completed",
      );
    } finally {
      await seeder.stop();
    }
    await expectRefused(manifest({ reference_datetime: "2025-06-01T00:00:00Z" }), "REFERENCE_DATETIME_MISMATCH");
    env.vault.rotate(`semente-fpe-dev-${TENANT}`);
    await expectRefused(manifest({ key_version: 2 }), "KEY_VERSION_MISMATCH");
  }, 30_000);
});

/** Seeds a tenant, drops its checkpoints (rows nothing explains any more), then expects DATA_DRIFT. */
async function expectDriftRefused(): Promise<void> {
  const other = "f-stray";
  env.vault.createKey(`semente-fpe-dev-${other}`);
  const base = profile("dev", "banco-alfa");
  const m = smallManifest(base, { metadata: { ...base.metadata, tenant: other }, batch_size: 100 });
  const seeder = startInProcessSeeder(env, names);
  try {
    const run = await admittedRun(env.db.appSql, m);
    await startRun(deps(), run.id).done;
    expect((await waitForRun(env.db.appSql, run.id, (s) => s === "completed" || s === "failed")).state).toBe(
      "completed",
    );
  } finally {
    await seeder.stop();
  }
  // Forget the checkpoints (as a manual clean-up gone wrong would): the rows stay unexplained.
  await env.db.adminSql`DELETE FROM seed.checkpoints WHERE tenant_id = ${other}`;
  const before = await bankingCounts(env.db.adminSql, other);
  const again = await admittedRun(env.db.appSql, m);
  await startRun(deps(), again.id).done;
  const done = await waitForRun(env.db.appSql, again.id, (s) => s !== "admitted", 5_000);
  expect(done.state).toBe("failed");
  expect(done.reason?.code).toBe("DATA_DRIFT");
  expect(await bankingCounts(env.db.adminSql, other)).toEqual(before);
  const [batches] = await env.db.appSql<
    { n: string }[]
  >`SELECT count(*)::text AS n FROM seed.batches WHERE run_id = ${again.id}`;
  expect(batches?.n).toBe("0");
}
