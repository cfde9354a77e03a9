#!/usr/bin/env bun
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, natsOptionsFromVars } from "@semente/platform/bus";
import { applyDotenv, deprecatedVariables, startupFailureLine } from "@semente/platform/config";
import { assertPreflight, createSql, MIGRATIONS_DIR, type Sql } from "@semente/platform/db";
import type { KeyProvider } from "@semente/platform/keys";
import {
  createBatchWriter,
  createMemoryGovernor,
  ensurePipelineStreams,
  keyProviderFromConfig,
  pipelineOptionsFromVars,
} from "@semente/platform/pipeline";
import {
  createLogger,
  natsProbe,
  startHealthServer,
  startServiceTelemetry,
  type Telemetry,
} from "@semente/platform/telemetry";
import { createSeederMetrics } from "./instrumentation.ts";
import { loadSeederConfig, SEEDER_VARS } from "./config.ts";
import { createBatchHandler } from "./handlers/batch.ts";
import { createPurgeHandler, routeWork } from "./handlers/purge.ts";
import { createSeeder, type Seeder } from "./seeder.ts";

/** Wiring only: config, clients, the pull loops, a health port and a graceful shutdown. */
async function run(): Promise<void> {
  applyDotenv(process.env.SEMENTE_ENV_FILE || ".env");
  const { vars, modes, fault } = loadSeederConfig();
  const log = createLogger({ service: "seeder", level: vars.LOG_LEVEL });
  for (const line of deprecatedVariables(SEEDER_VARS)) log.warn(line);
  const metrics = createSeederMetrics();
  const telemetry: Telemetry = startServiceTelemetry("seeder", vars.SEMENTE_ENV, log, metrics.registry);
  let sql: Sql | undefined;
  let nc: NatsConnection | undefined;
  let seeder: Seeder | undefined;
  let health: ReturnType<typeof startHealthServer> | undefined;
  const stopped = Promise.withResolvers<void>();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: stop pulling, finish the batch in hand");
    stopped.resolve();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  try {
    sql = createSql(vars.SEMENTE_SEEDER_DATABASE_URL, { applicationName: "semente-seeder", max: vars.SEEDER_DB_POOL });
    // The seeder is the role that writes: refuse to start as a privileged role, without forced RLS
    // or with pending migrations.
    await assertPreflight(sql, { migrationsDir: MIGRATIONS_DIR });
    nc = await connectNats(natsOptionsFromVars(vars, "seeder"));
    const names = await ensurePipelineStreams(await jetstreamManager(nc), pipelineOptionsFromVars(vars));
    const providers = new Map<string, KeyProvider>();
    const writer = createBatchWriter({
      sql,
      log,
      path: vars.SEEDER_WRITE_PATH,
      copyTimeoutMs: vars.SEEDER_COPY_TIMEOUT_MS,
      keys: (environment) => {
        let provider = providers.get(environment);
        if (provider === undefined) {
          provider = keyProviderFromConfig(vars, environment);
          providers.set(environment, provider);
        }
        return provider;
      },
    });
    if (fault !== undefined) log.warn({ fault }, "fault injection enabled (test only)");
    const js = jetstream(nc);
    const batches = createBatchHandler({
      writer,
      nc,
      js,
      names,
      log,
      heartbeatMs: vars.SEEDER_HEARTBEAT_MS,
      fault,
      tracer: telemetry.tracer,
      metrics,
    });
    const purges = createPurgeHandler({
      sql,
      nc,
      names,
      log,
      heartbeatMs: vars.SEEDER_HEARTBEAT_MS,
      chunkRows: vars.SEEDER_PURGE_CHUNK_ROWS,
      tracer: telemetry.tracer,
    });
    const handler = routeWork(batches, purges);
    const memory = createMemoryGovernor({ limitBytes: vars.SEEDER_GC_RSS_MIB * 2 ** 20 });
    seeder = createSeeder({ js, names, modes, handler, log, maxMessages: vars.SEEDER_MAX_MESSAGES, memory });
    const active = seeder;
    const db = sql;
    health = startHealthServer({
      port: vars.HEALTH_PORT,
      probes: { postgres: () => db`select 1`, nats: natsProbe(nc) },
      conditions: { pulling: () => active.running },
      metrics: metrics.registry,
    });
    await seeder.start();
    log.info({ health_port: health.port, modes, write_path: vars.SEEDER_WRITE_PATH }, "seeder started");
    await stopped.promise;
  } finally {
    await seeder?.stop();
    await health?.stop(true);
    await nc?.drain();
    // A COPY abandoned by its guard stays queued in postgres.js: bound the wait.
    await sql?.end({ timeout: 5 });
    await telemetry.shutdown();
    log.info("seeder stopped");
  }
}

if (import.meta.main) {
  run().catch((error) => {
    console.error(startupFailureLine("seeder", error));
    process.exit(1);
  });
}
