#!/usr/bin/env bun
import { createEvidenceLogger, createEvidenceMetrics } from "./instrumentation.ts";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, ensureRunEventsStream, natsOptionsFromVars } from "@semente/platform/bus";
import { applyDotenv, deprecatedVariables, startupFailureLine } from "@semente/platform/config";
import { createSql, type Sql } from "@semente/platform/db";
import { createEvidenceService } from "@semente/platform/evidence";
import { loadCostModel } from "@semente/platform/config";
import { keyProviderFromConfig } from "@semente/platform/pipeline";
import { natsProbe, startHealthServer, startServiceTelemetry, type Telemetry } from "@semente/platform/telemetry";
import { EVIDENCE_VARS, loadEvidenceConfig, wormStoreFromConfig } from "./config.ts";
import { createRunEventsConsumer, type RunEventsConsumer } from "./handlers/run-events.ts";

/** Wiring only: config, clients, the consumer, the health port, and a graceful shutdown. */
async function run(): Promise<void> {
  applyDotenv(process.env.SEMENTE_ENV_FILE || ".env");
  const vars = loadEvidenceConfig();
  const log = createEvidenceLogger(vars.LOG_LEVEL);
  for (const line of deprecatedVariables(EVIDENCE_VARS)) log.warn(line);
  const metrics = createEvidenceMetrics();
  const telemetry: Telemetry = startServiceTelemetry("evidence", vars.SEMENTE_ENV, log, metrics.registry);
  const keys = keyProviderFromConfig(vars, vars.SEMENTE_ENV);
  const store = wormStoreFromConfig(vars);
  let sql: Sql | undefined;
  let nc: NatsConnection | undefined;
  let consumer: RunEventsConsumer | undefined;
  let server: ReturnType<typeof Bun.serve> | undefined;
  const stopped = Promise.withResolvers<void>();
  const shutdown = (signal: string) => {
    log.info({ signal }, "shutting down");
    stopped.resolve();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  try {
    // Fail closed at start-up: without usable WORM storage no report can be written.
    await store.preflight();
    sql = createSql(vars.SEMENTE_APP_DATABASE_URL, { applicationName: "semente-evidence" });
    nc = await connectNats(natsOptionsFromVars(vars, "evidence"));
    const events = {
      streamName: `${vars.CONTROL_NATS_NAME_PREFIX}SEED_RUNS`,
      subjectPrefix: vars.CONTROL_NATS_SUBJECT_PREFIX,
      replicas: vars.NATS_REPLICAS,
    };
    const jsm = await jetstreamManager(nc);
    await ensureRunEventsStream(jsm, events);
    const service = createEvidenceService({
      sql,
      store,
      keys,
      log,
      costModel: loadCostModel(vars.COST_MODEL_PATH),
      retentionDays: vars.EVIDENCE_RETENTION_DAYS,
    });
    consumer = createRunEventsConsumer({
      js: jetstream(nc),
      jsm,
      service,
      log,
      streamName: events.streamName,
      subjectPrefix: events.subjectPrefix,
      durableName: vars.EVIDENCE_DURABLE,
      sql,
      tracer: telemetry.tracer,
      reports: metrics.reports,
    });
    await consumer.start();
    const ready = consumer;
    const db = sql;
    server = startHealthServer({
      port: vars.EVIDENCE_HEALTH_PORT,
      probes: { postgres: () => db`select 1`, nats: natsProbe(nc), worm: () => store.preflight() },
      conditions: { consumer: () => ready.running },
      metrics: metrics.registry,
    });
    log.info({ port: server.port, storage: store.kind, keys: keys.kind }, "evidence service consuming run events");
    await stopped.promise;
  } finally {
    await server?.stop();
    await consumer?.stop();
    await nc?.drain();
    await sql?.end({ timeout: 5 });
    await telemetry.shutdown();
    log.info("evidence service stopped");
  }
}

if (import.meta.main) {
  run().catch((error) => {
    console.error(startupFailureLine("evidence", error));
    process.exit(1);
  });
}
