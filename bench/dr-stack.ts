import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Admission, createAdmission } from "../packages/platform/src/admission/index.ts";
import { createSql, type Sql } from "../packages/platform/src/db/index.ts";
import { type Manifest, manifestHash, plannedRows } from "../packages/core/src/manifest/index.ts";
import { createRun, type RunOperation } from "../packages/platform/src/runs/index.ts";
import type { VaultTestServer } from "../packages/platform/tests/keys/vault-server.ts";
import { createTestNats, type TestNats } from "../packages/platform/tests/nats-harness.ts";
import { benchManifest } from "./throughput-manifest.ts";
import { benchServiceEnv, spawnPlanner } from "./throughput-pipeline.ts";
import {
  freePort,
  type MemorySampler,
  type Service,
  sampleMemory,
  spawnService,
  stopServices,
  waitReady,
} from "./throughput-stack.ts";

/**
 * The perf profile ÷ `scale` in `dr` mode, as the DR benches run it. The SLO gate is opened wide:
 * on the shared 2-core machine other engineers' load breaks the profile's batch p95, and the
 * benches measure the drill, not the gate. benchManifest lifted the rate limit (500,000 rows/s
 * target) for the same reason.
 */
export function drBenchManifest(scale: number, batchSize: number): Manifest {
  const base = benchManifest({ scale, batchSize });
  return {
    ...base,
    mode: "dr",
    metadata: { ...base.metadata, profile: "perf-dr-bench" },
    slo: { ...base.slo, p95_batch_ms: 3_600_000, p99_batch_ms: 3_600_000, min_rows_per_second: 0, max_error_rate: 1 },
  };
}

/** The planner and seeders of the DR bench, as processes, and an in-process admission. */
export interface DrStack {
  nats: TestNats;
  admission: Admission;
  /** Control-plane pool (semente_app) of the bench. */
  app: Sql;
  services: Service[];
  logDir: string;
  /** Submits a run of `manifest` with `operation` (as `semente seed --direct` does) and returns its id. */
  submit(manifest: Manifest, operation: RunOperation): Promise<string>;
  /** Memory samplers of the seeders and the planner (the drill's verification runs in the planner). */
  sample(): { name: string; sampler: MemorySampler }[];
  stop(): Promise<void>;
}

/** Options of {@link startDrStack}. */
export interface DrStackOptions {
  urls: { app: string; seeder: string; verifier: string };
  vault: VaultTestServer;
  seeders: number;
  /** Extra environment of every service (PLANNER_PARALLELISM…). */
  env: Record<string, string>;
}

/** Starts the planner and `seeders` seeders on their own NATS prefix (no gateway: runs are submitted directly). */
export async function startDrStack(options: DrStackOptions): Promise<DrStack> {
  const nats = await createTestNats("bench_dr");
  const logDir = mkdtempSync(join(tmpdir(), "semente-bench-dr-"));
  const env: Record<string, string> = { ...benchServiceEnv(nats, options.vault, logDir), ...options.env };
  const services: Service[] = [];
  const app = createSql(options.urls.app, { max: 2, applicationName: "semente-bench-dr" });
  const events = { streamName: `${nats.prefix}SEED_RUNS`, subjectPrefix: nats.subjectPrefix };
  try {
    services.push(spawnPlanner(env, options.urls, logDir));
    for (let i = 1; i <= options.seeders; i++) {
      const port = freePort();
      services.push(
        spawnService(
          `seeder-${i}`,
          "services/seeder/src/main.ts",
          { ...env, SEMENTE_SEEDER_DATABASE_URL: options.urls.seeder, HEALTH_PORT: String(port) },
          logDir,
          port,
        ),
      );
    }
    for (const s of services) await waitReady(s, 60_000);
    const admission = await createAdmission({
      nc: nats.nc,
      sql: app,
      holderId: `bench-dr-${crypto.randomUUID()}`,
      actor: "bench",
      bucketPrefix: nats.prefix,
      events,
    });
    return {
      nats,
      admission,
      app,
      services,
      logDir,
      async submit(manifest, operation) {
        const run = await createRun(app, {
          environment: manifest.metadata.environment,
          tenantId: manifest.metadata.tenant,
          mode: manifest.mode,
          operation,
          dryRun: false,
          manifestHash: manifestHash(manifest).replace(/^sha256:/, ""),
          manifestVersion: manifest.metadata.version,
          manifest,
          referenceDatetime: manifest.reference_datetime,
          keyVersion: manifest.key_version,
          principal: "bench-dr",
          queuedUntil: new Date(Date.now() + 300_000),
          rowsPlanned: plannedRows(manifest).total,
          actor: "bench",
        });
        const decision = await admission.submit(run);
        if (decision.state !== "admitted") throw new Error(`run ${run.id} was ${decision.state}, not admitted`);
        return run.id;
      },
      sample() {
        return services.map((s) => ({ name: s.name, sampler: sampleMemory(s.proc.pid) }));
      },
      async stop() {
        await admission.stop();
        await stopServices(services);
        await app.end({ timeout: 5 });
        await nats.cleanup();
      },
    };
  } catch (error) {
    await stopServices(services);
    await app.end({ timeout: 5 });
    await nats.cleanup();
    throw error;
  }
}

const TERMINAL = new Set(["completed", "failed", "cancelled", "expired", "aborted"]);

/** Polls the run until it is terminal (throws past `timeoutMs`, or when a service exits). */
export async function waitRun(
  stack: DrStack,
  runId: string,
  timeoutMs: number,
  signal: AbortSignal,
  onProgress?: (rows: number) => void,
): Promise<{ state: string; reason: string | null }> {
  const started = performance.now();
  for (;;) {
    if (performance.now() - started > timeoutMs) throw new Error(`run ${runId} not ended at the timeout`);
    if (signal.aborted) throw new Error(`interrupted while run ${runId} was executing`);
    for (const s of stack.services) {
      if (s.proc.exitCode !== null) throw new Error(`${s.name} exited with ${s.proc.exitCode}; see ${s.log}`);
    }
    const [row] = await stack.app<{ state: string; reason: { code?: string } | null; rows_written: string }[]>`
      SELECT state, reason, rows_written::text FROM seed.runs WHERE id = ${runId}`;
    if (row !== undefined && TERMINAL.has(row.state)) return { state: row.state, reason: row.reason?.code ?? null };
    onProgress?.(Number(row?.rows_written ?? 0));
    await Bun.sleep(500);
  }
}
