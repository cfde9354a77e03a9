import { expect } from "bun:test";
import { type Admission, createAdmission } from "@semente/platform/admission";
import { MIGRATIONS_DIR, type Sql } from "@semente/platform/db";
import { createVaultTransitKeyProvider, type KeyProvider } from "@semente/platform/keys";
import { type Manifest, manifestHash, type Window } from "@semente/core/manifest";
import { loadCostModel } from "@semente/platform/config";
import { datasetDigest } from "@semente/core/determinism";
import { createGenerationContext, generateBatch } from "@semente/core/factories";
import { createBatchWriter, type PipelineMode, type PipelineNames } from "@semente/platform/pipeline";
import { digestBatch, digestHex, planBatches } from "@semente/core/pipeline";
import { createRun, type Run, transitionRun } from "@semente/platform/runs";
import { type Counter, createLogger, type Logger } from "@semente/platform/telemetry";
import { createTestDatabase, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import { startVaultServer, type VaultTestServer } from "../../../packages/platform/tests/keys/vault-server.ts";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";
import { createBatchHandler } from "../../seeder/src/handlers/batch.ts";
import { createPurgeHandler, routeWork } from "../../seeder/src/handlers/purge.ts";
import type { FaultTarget } from "../../seeder/src/config.ts";
import { createLeaseKeeper, type LeaseKeeper } from "../src/leases.ts";
import { createPlanner, type Planner, type PlannerOptions } from "../src/planner.ts";
import type { PreflightDeps } from "../src/preflight.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFsWormStore } from "@semente/platform/evidence";

import { profile, smallManifest } from "../../../packages/core/tests/factories/utils.ts";

export { profile, smallManifest };
export { bankingCounts } from "../../../packages/platform/tests/pipeline/writer-fixtures.ts";

/** `HH:MM` in UTC, `offsetMinutes` from now. */
export function hhmm(offsetMinutes: number): string {
  const d = new Date(Date.now() + offsetMinutes * 60_000);
  return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
}

// Computed once: a window derived per call would change the manifest hash when a test crosses a
// minute boundary, and a re-submission would no longer be "the same manifest".
/** A window open from an hour ago to an hour from now (staging manifests have no always-open window). */
export const OPEN_WINDOW = { start_utc: hhmm(-60), end_utc: hhmm(60) };

/** A logger that drops everything (tests assert on the database, not on log lines). */
export const quietLog: Logger = process.env.DEBUG_PLANNER_TEST
  ? createLogger({ service: "planner-test", level: "debug" })
  : createLogger({ service: "planner-test", level: "silent", destination: { write: () => undefined } });

/** Database, NATS prefixes and a Vault-speaking key server for one test file. */
export interface PlannerTestEnv {
  db: TestDatabase;
  nats: TestNats;
  vault: VaultTestServer;
  keys: KeyProvider;
  events: { streamName: string; subjectPrefix: string };
  admission: Admission;
  leases: LeaseKeeper;
  preflight: PreflightDeps;
  pipeline: { namePrefix: string; subjectPrefix: string; settings: { ackWaitMs: number; maxDeliver: number } };
  cleanup(): Promise<void>;
}

export async function createPlannerTestEnv(slug: string, tenants: readonly string[]): Promise<PlannerTestEnv> {
  const db = await createTestDatabase(slug);
  const nats = await createTestNats(slug);
  const vault = startVaultServer();
  for (const tenant of tenants) vault.createKey(`semente-fpe-dev-${tenant}`);
  const keys = createVaultTransitKeyProvider({ endpoint: vault.url, token: vault.token });
  const events = { streamName: `${nats.prefix}SEED_RUNS`, subjectPrefix: nats.subjectPrefix };
  const admission = await createAdmission({
    nc: nats.nc,
    sql: db.appSql,
    holderId: `planner-test-${slug}`,
    bucketPrefix: nats.prefix,
    events,
    actor: "planner",
  });
  const leases = await createLeaseKeeper({
    nc: nats.nc,
    sql: db.appSql,
    bucketPrefix: nats.prefix,
    globalSlots: 2,
    ttlMs: 60_000,
  });
  const preflight: PreflightDeps = {
    sql: db.appSql,
    dataPlaneSql: db.seederSql,
    verifierSql: db.verifierSql,
    migrationsDir: MIGRATIONS_DIR,
    keys: () => keys,
    costModel: loadCostModel(),
    worm: createFsWormStore({ dir: mkdtempSync(join(tmpdir(), "semente-planner-worm-")) }),
    now: () => new Date(),
  };
  return {
    db,
    nats,
    vault,
    keys,
    events,
    admission,
    leases,
    preflight,
    pipeline: {
      namePrefix: nats.prefix,
      subjectPrefix: nats.subjectPrefix,
      settings: { ackWaitMs: 2_000, maxDeliver: 2 },
    },
    async cleanup() {
      await leases.stop();
      await admission.stop();
      await vault.stop();
      await nats.cleanup();
      await db.drop();
    },
  };
}

/** Starts a planner on the test environment. */
export async function startTestPlanner(
  env: PlannerTestEnv,
  parallelism = 3,
  metrics: { budgetAlerts?: Counter } = {},
  options: { purgeStallMs?: number; telemetryGate?: PlannerOptions["telemetryGate"] } = {},
): Promise<Planner> {
  const planner = await createPlanner({
    nc: env.nats.nc,
    js: env.nats.js,
    jsm: env.nats.jsm,
    sql: env.db.appSql,
    admission: env.admission,
    leases: env.leases,
    preflight: env.preflight,
    pipeline: env.pipeline,
    events: env.events,
    log: quietLog,
    parallelism,
    reconcileMs: 100,
    scanMs: 300,
    ...options,
    ...metrics,
  });
  await planner.start();
  return planner;
}

/** The seeder's real batch handler, pulling in this process (the e2e tests run seeder processes). */
export function startInProcessSeeder(
  env: PlannerTestEnv,
  names: PipelineNames,
  options: { fault?: FaultTarget; modes?: PipelineMode[]; purgeSql?: Sql; purgeChunkRows?: number } = {},
): { stop(): Promise<void> } {
  const writer = createBatchWriter({ sql: env.db.seederSql, keys: env.keys });
  const purges = createPurgeHandler({
    sql: options.purgeSql ?? env.db.seederSql,
    nc: env.nats.nc,
    names,
    log: quietLog,
    heartbeatMs: 500,
    chunkRows: options.purgeChunkRows ?? 20_000,
    poisonDelayMs: 50,
  });
  const batches = createBatchHandler({
    writer,
    nc: env.nats.nc,
    js: env.nats.js,
    names,
    log: quietLog,
    heartbeatMs: 500,
    fault: options.fault,
    poisonDelayMs: 50,
  });
  const handler = routeWork(batches, purges);
  let running = true;
  const loops = (options.modes ?? ["baseline", "load"]).map(async (mode) => {
    const consumer = await env.nats.js.consumers.get(names.streams[mode], names.consumers[mode]);
    while (running) {
      const m = await consumer.next({ expires: 1_000 });
      if (m !== null) await handler(m);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Creates a run of `manifest` and moves it to `admitted` (as the gateway's admission would). */
export async function admittedRun(
  sql: Sql,
  manifest: Manifest,
  options: { dryRun?: boolean; operation?: Run["operation"] } = {},
): Promise<Run> {
  const run = await createRun(sql, {
    environment: manifest.metadata.environment,
    tenantId: manifest.metadata.tenant,
    mode: manifest.mode,
    dryRun: options.dryRun ?? false,
    manifestHash: manifestHash(manifest).replace(/^sha256:/, ""),
    manifestVersion: manifest.metadata.version,
    manifest,
    referenceDatetime: manifest.reference_datetime,
    keyVersion: manifest.key_version,
    principal: "planner-test",
    queuedUntil: new Date(Date.now() + 300_000),
    operation: options.operation,
  });
  return transitionRun(sql, run.id, { to: "admitted", actor: "planner-test", patch: { queuedUntil: null } });
}

/** Polls the run until `check` holds (or fails the test after `timeoutMs`). */
export async function waitForRun(
  sql: Sql,
  runId: string,
  check: (state: string) => boolean,
  timeoutMs = 20_000,
): Promise<{
  state: string;
  dataset_digest: string | null;
  rows_written: string;
  reason: { code?: string; type?: string } | null;
}> {
  const started = performance.now();
  for (;;) {
    const [row] = await sql<
      { state: string; dataset_digest: string | null; rows_written: string; reason: { code?: string } | null }[]
    >`
      SELECT state, dataset_digest, rows_written::text, reason FROM seed.runs WHERE id = ${runId}`;
    if (row !== undefined && check(row.state)) {
      if (process.env.DEBUG_PLANNER_TEST) console.error(row);
      return row;
    }
    if (performance.now() - started > timeoutMs) {
      expect(row?.state).toBe("the expected state");
      throw new Error("unreachable");
    }
    await Bun.sleep(50);
  }
}

/** The dataset digest a clean run of `manifest` must end with, computed from the factories alone. */
export async function expectedDigest(env: PlannerTestEnv, manifest: Manifest): Promise<string> {
  const scope = { environment: manifest.metadata.environment, tenant: manifest.metadata.tenant };
  const fpeKey = await env.keys.deriveFpeKey(scope, manifest.key_version);
  const ctx = createGenerationContext({
    manifest,
    manifestHash: manifestHash(manifest),
    fpeKey,
    keyVersion: manifest.key_version,
  });
  const digests = planBatches(manifest).batches.map((b) => digestBatch(generateBatch(ctx, b.entity, b.from, b.to)));
  return digestHex(datasetDigest(digests));
}

/**
 * The small dev manifest of `tenant`, 20-row batches paced at about five a second (so a test can
 * act while the run is writing), with `window`.
 */
export function pacedManifest(tenant: string, window: Window): Manifest {
  const base = profile("dev", "banco-alfa");
  return smallManifest(base, {
    metadata: { ...base.metadata, tenant },
    batch_size: 20,
    window,
    rate_limit: { ...base.rate_limit, target_rows_per_second: 100, cap_rows_per_second: 200 },
  });
}

/** How many of the run's batches are in each state of seed.batches. */
export async function batchStates(sql: Sql, runId: string): Promise<Record<string, number>> {
  const rows = await sql<{ state: string; n: number }[]>`
    SELECT state, count(*)::int AS n FROM seed.batches WHERE run_id = ${runId} GROUP BY state`;
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}
