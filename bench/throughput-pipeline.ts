import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintToken, resolveAuthKeys } from "../packages/platform/src/auth/index.ts";
import type { Sql } from "../packages/platform/src/db/index.ts";
import { type Manifest, plannedRows } from "../packages/core/src/manifest/index.ts";
import { WritePath } from "../packages/platform/src/pipeline/index.ts";
import { createTestNats, type TestNats } from "../packages/platform/tests/nats-harness.ts";
import type { VaultTestServer } from "../packages/platform/tests/keys/vault-server.ts";
import {
  type BatchDone,
  type CpuReport,
  freePort,
  type MemoryReport,
  readBatchDone,
  type Service,
  sampleCpu,
  sampleMemory,
  spawnService,
  stopServices,
  waitReady,
} from "./throughput-stack.ts";

/** Command-line options (node:util parseArgs) shaping the pipeline, shared by the bench scripts. */
export const PIPELINE_ARGS = {
  scale: { type: "string", default: "16" },
  "batch-size": { type: "string", default: "10000" },
  seeders: { type: "string", default: "2" },
  parallelism: { type: "string", default: "3" },
  "max-messages": { type: "string", default: "1" },
  release: { type: "string", default: "level" },
  path: { type: "string", default: WritePath.copy },
  "timeout-s": { type: "string", default: "900" },
} as const;

/** The services' environment for parsed {@link PIPELINE_ARGS}. */
export function pipelineEnv(args: {
  parallelism: string;
  release: string;
  "max-messages": string;
  path: string;
}): Record<string, string> {
  return {
    PLANNER_PARALLELISM: args.parallelism,
    PLANNER_RELEASE: args.release,
    SEEDER_MAX_MESSAGES: args["max-messages"],
    SEEDER_WRITE_PATH: args.path === WritePath.unnest ? WritePath.unnest : WritePath.copy,
  };
}

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  manifest: Manifest;
  /** Role URLs on the bench database. */
  urls: { app: string; seeder: string; verifier: string };
  /** Superuser pool on the bench database (reads seed.runs and seed.batches afterwards). */
  superuser: Sql;
  vault: VaultTestServer;
  seeders: number;
  /** Extra environment for every service (PLANNER_PARALLELISM, SEEDER_MAX_MESSAGES…). */
  env: Record<string, string>;
  /** Gives up after this long. */
  timeoutMs: number;
  /** Aborted on SIGINT/SIGTERM: stop polling, clean up. */
  signal?: AbortSignal;
}

/** What one pipeline run measured. */
export interface PipelineResult {
  runId: string;
  rows: number;
  /** finished_at − started_at of seed.runs, in seconds. */
  runSeconds: number;
  /** POST → `completed` seen by polling, in seconds. */
  wallSeconds: number;
  memory: { name: string; report: MemoryReport }[];
  /** CPU seconds of each service and of the database backends per role, from the POST to the end. */
  cpu: CpuReport;
  /** Every `batch done` line of every seeder. */
  done: BatchDone[];
  logDir: string;
}

const TERMINAL = new Set(["completed", "failed", "cancelled", "expired", "aborted"]);

/** The environment every service of a bench stack gets: isolated NATS prefix, the test key server, dev WORM. */
export function benchServiceEnv(nats: TestNats, vault: VaultTestServer, logDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    CI: "true",
    SEMENTE_ENV: "dev",
    SEMENTE_ENV_FILE: "/nonexistent/.env",
    NATS_URL: nats.url,
    CONTROL_NATS_NAME_PREFIX: nats.prefix,
    CONTROL_NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    PIPELINE_NATS_NAME_PREFIX: nats.prefix,
    PIPELINE_NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    KEY_PROVIDER: "vault-transit",
    VAULT_ADDR: vault.url,
    VAULT_TOKEN: vault.token,
    EVIDENCE_WORM_DIR: join(logDir, "worm"),
    LOG_LEVEL: "info",
  };
}

/** The planner as a process, with its three role URLs and a free health port. */
export function spawnPlanner(
  env: Record<string, string>,
  urls: { app: string; seeder: string; verifier: string },
  logDir: string,
): Service {
  const port = freePort();
  return spawnService(
    "planner",
    "services/planner/src/main.ts",
    {
      ...env,
      SEMENTE_APP_DATABASE_URL: urls.app,
      SEMENTE_SEEDER_DATABASE_URL: urls.seeder,
      SEMENTE_VERIFIER_DATABASE_URL: urls.verifier,
      HEALTH_PORT: String(port),
    },
    logDir,
    port,
  );
}

/**
 * Starts gateway, planner and `seeders` seeders as real processes (as `semente up` does) on their
 * own NATS prefix, submits the manifest through the gateway with a minted token, polls until the
 * run is terminal, and stops everything (also on failure). Throws unless the run completed.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const nats = await createTestNats("bench");
  const logDir = mkdtempSync(join(tmpdir(), "semente-bench-"));
  const env: Record<string, string> = {
    ...benchServiceEnv(nats, options.vault, logDir),
    GATEWAY_JWT_SECRET: `bench-${crypto.randomUUID()}-${crypto.randomUUID()}`,
    ...options.env,
  };
  const services: Service[] = [];
  const samplers: { name: string; sampler: ReturnType<typeof sampleMemory> }[] = [];
  try {
    const gatewayPort = freePort();
    const gateway = spawnService(
      "gateway",
      "services/gateway/src/main.ts",
      // The gateway serves the manifest's environment (perf); the workers keep dev's filesystem WORM.
      {
        ...env,
        SEMENTE_ENV: options.manifest.metadata.environment,
        SEMENTE_APP_DATABASE_URL: options.urls.app,
        GATEWAY_PORT: String(gatewayPort),
      },
      logDir,
      gatewayPort,
    );
    services.push(gateway);
    const planner = spawnPlanner(env, options.urls, logDir);
    services.push(planner);
    await waitReady(gateway);
    await waitReady(planner);
    for (let i = 1; i <= options.seeders; i++) {
      const port = freePort();
      const seeder = spawnService(
        `seeder-${i}`,
        "services/seeder/src/main.ts",
        { ...env, SEMENTE_SEEDER_DATABASE_URL: options.urls.seeder, HEALTH_PORT: String(port) },
        logDir,
        port,
      );
      services.push(seeder);
      samplers.push({ name: seeder.name, sampler: sampleMemory(seeder.proc.pid) });
    }
    for (const s of services.slice(2)) await waitReady(s);

    const token = await mintToken(resolveAuthKeys({ env }), {
      subject: "bench",
      roles: ["seed-runner"],
      tenants: [options.manifest.metadata.tenant],
      environments: [options.manifest.metadata.environment],
      ttlSeconds: 3_600,
      // The bench is not generation code: a token's issue time is the real clock.
      issuedAt: Math.floor(Date.now() / 1000),
    });
    const base = `http://127.0.0.1:${gatewayPort}/api/v1/seed-runs`;
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/json, application/problem+json" };
    const cpu = sampleCpu(
      options.superuser,
      services.map((s) => ({ name: s.name, pid: s.proc.pid })),
    );
    const posted = performance.now();
    const response = await fetch(base, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json", "Idempotency-Key": `bench-${crypto.randomUUID()}` },
      body: JSON.stringify({ manifest: options.manifest, dry_run: false }),
    });
    const created = (await response.json()) as { id?: string; detail?: string };
    if (response.status !== 202 || created.id === undefined) {
      throw new Error(`gateway refused the run: HTTP ${response.status} ${JSON.stringify(created)}`);
    }
    const runId = created.id;
    const total = plannedRows(options.manifest).total;
    let state = "queued";
    let warmed = false;
    while (!TERMINAL.has(state)) {
      if (performance.now() - posted > options.timeoutMs) throw new Error(`run ${runId} still ${state} at the timeout`);
      if (options.signal?.aborted) throw new Error(`interrupted while run ${runId} was ${state}`);
      for (const s of services) {
        if (s.proc.exitCode !== null) throw new Error(`${s.name} exited with ${s.proc.exitCode}; see ${s.log}`);
      }
      await Bun.sleep(250);
      const polled = await fetch(`${base}/${runId}`, { headers });
      const run = (await polled.json()) as { state: string; progress?: { rows_written: number } };
      // A 429 (the gateway's rate limit) or any other refusal: keep the last state, poll again.
      if (polled.status !== 200) continue;
      state = run.state;
      // Warm-up: the first tenth of the rows (code loaded, pools and generation contexts built).
      if (!warmed && (run.progress?.rows_written ?? 0) >= total / 10) {
        warmed = true;
        for (const { sampler } of samplers) sampler.warm();
      }
    }
    if (state !== "completed") throw new Error(`run ${runId} ended ${state}; logs in ${logDir}`);
    const wallSeconds = (performance.now() - posted) / 1000;
    const memory = samplers.map(({ name, sampler }) => ({ name, report: sampler.stop() }));
    const cpuReport = await cpu.stop();
    samplers.length = 0;
    const [row] = await options.superuser<{ rows: string; seconds: number }[]>`
      SELECT rows_written::text AS rows, extract(epoch FROM finished_at - started_at)::float8 AS seconds
        FROM seed.runs WHERE id = ${runId}`;
    await stopServices(services);
    const done = services.filter((s) => s.name.startsWith("seeder-")).flatMap((s) => readBatchDone(s.name, s.log));
    return {
      runId,
      rows: Number(row?.rows ?? 0),
      runSeconds: Number(row?.seconds ?? Number.NaN),
      wallSeconds,
      memory,
      cpu: cpuReport,
      done,
      logDir,
    };
  } finally {
    for (const { sampler } of samplers) sampler.stop();
    await stopServices(services);
    await nats.cleanup();
  }
}
