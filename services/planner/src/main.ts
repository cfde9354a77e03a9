#!/usr/bin/env bun
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, natsOptionsFromVars } from "@semente/platform/bus";
import { type Admission, createAdmission } from "@semente/platform/admission";
import { applyDotenv, deprecatedVariables, startupFailureLine } from "@semente/platform/config";
import { createSql, type Sql } from "@semente/platform/db";
import { wormStoreFromConfig } from "@semente/platform/evidence";
import { loadCostModel } from "@semente/platform/config";
import { keyProviderFromConfig, pipelineOptionsFromVars } from "@semente/platform/pipeline";
import { PIPELINE_MODES } from "@semente/platform/pipeline";
import {
  createLogger,
  natsProbe,
  startHealthServer,
  startServiceTelemetry,
  type Telemetry,
} from "@semente/platform/telemetry";
import { createPlannerMetrics } from "./instrumentation.ts";
import { loadPlannerConfig, PLANNER_VARS } from "./config.ts";
import { createLeaseKeeper } from "./leases.ts";
import { createPlanner, type Planner } from "./planner.ts";
import { startRetentionJob } from "./retention.ts";

/** Wiring only: config, clients, the planner, a health port and a graceful shutdown. */
async function run(): Promise<void> {
  applyDotenv(process.env.SEMENTE_ENV_FILE || ".env");
  const config = loadPlannerConfig();
  const log = createLogger({ service: "planner", level: config.LOG_LEVEL });
  for (const line of deprecatedVariables(PLANNER_VARS)) log.warn(line);
  let gauges: Parameters<typeof createPlannerMetrics>[0] = () => undefined;
  const metrics = createPlannerMetrics(() => gauges());
  const telemetry: Telemetry = startServiceTelemetry("planner", config.SEMENTE_ENV, log, metrics.registry);
  let sql: Sql | undefined;
  let dataPlaneSql: Sql | undefined;
  let verifierSql: Sql | undefined;
  let nc: NatsConnection | undefined;
  let admission: Admission | undefined;
  let planner: Planner | undefined;
  let health: ReturnType<typeof startHealthServer> | undefined;
  let started = false;
  let stopRetention: (() => void) | undefined;
  const stopped = Promise.withResolvers<void>();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    stopped.resolve();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  try {
    sql = createSql(config.SEMENTE_APP_DATABASE_URL, { applicationName: "semente-planner" });
    dataPlaneSql = createSql(config.SEMENTE_SEEDER_DATABASE_URL, {
      applicationName: "semente-planner-preflight",
      max: 2,
    });
    // One connection per verification lane of a DR drill, and one for the drift checks meanwhile.
    verifierSql = createSql(config.SEMENTE_VERIFIER_DATABASE_URL, {
      applicationName: "semente-planner-drift",
      max: config.PLANNER_VERIFY_LANES + 1,
    });
    nc = await connectNats(natsOptionsFromVars(config, "planner"));
    const jsm = await jetstreamManager(nc);
    const events = {
      streamName: `${config.CONTROL_NATS_NAME_PREFIX}SEED_RUNS`,
      subjectPrefix: config.CONTROL_NATS_SUBJECT_PREFIX,
      replicas: config.NATS_REPLICAS,
    };
    admission = await createAdmission({
      nc,
      sql,
      holderId: `planner-${crypto.randomUUID()}`,
      globalSlots: config.SEMENTE_GLOBAL_SLOTS,
      tenantLeaseTtlMs: config.PLANNER_LEASE_TTL_S * 1000,
      slotLeaseTtlMs: config.PLANNER_LEASE_TTL_S * 1000,
      bucketPrefix: config.CONTROL_NATS_NAME_PREFIX,
      events,
      actor: "planner",
      onError: (error) => log.error({ err: error }, "admission error"),
    });
    const leases = await createLeaseKeeper({
      nc,
      sql,
      bucketPrefix: config.CONTROL_NATS_NAME_PREFIX,
      replicas: config.NATS_REPLICAS,
      globalSlots: config.SEMENTE_GLOBAL_SLOTS,
      ttlMs: config.PLANNER_LEASE_TTL_S * 1000,
      onError: (error) => log.warn({ err: error }, "lease renewal failed"),
    });
    const costModel = loadCostModel(config.COST_MODEL_PATH);
    const providers = new Map<string, ReturnType<typeof keyProviderFromConfig>>();
    planner = await createPlanner({
      nc,
      js: jetstream(nc),
      jsm,
      sql,
      admission,
      leases,
      events,
      log,
      pipeline: pipelineOptionsFromVars(config),
      parallelism: config.PLANNER_PARALLELISM,
      reconcileMs: config.PLANNER_RECONCILE_MS,
      purgeStallMs: config.PLANNER_PURGE_STALL_MS,
      brokerLossMs: config.PLANNER_BROKER_LOSS_MS,
      releaseBy: config.PLANNER_RELEASE,
      tracer: telemetry.tracer,
      telemetryGate: telemetry.gate,
      verifyLanes: config.PLANNER_VERIFY_LANES,
      runsFinished: metrics.runsFinished,
      budgetAlerts: metrics.budgetAlerts,
      preflight: {
        sql,
        dataPlaneSql,
        verifierSql,
        migrationsDir: config.MIGRATIONS_DIR,
        costModel,
        worm: wormStoreFromConfig(config),
        now: () => new Date(),
        keys: (environment) => {
          let provider = providers.get(environment);
          if (provider === undefined) {
            provider = keyProviderFromConfig(config, environment);
            providers.set(environment, provider);
          }
          return provider;
        },
      },
    });
    const db = sql;
    const active = planner;
    gauges = () => ({ jsm, names: active.names, modes: PIPELINE_MODES, active: () => active.active() });
    health = startHealthServer({
      port: config.HEALTH_PORT,
      probes: { postgres: () => db`select 1`, nats: natsProbe(nc) },
      conditions: { started: () => started },
      metrics: metrics.registry,
    });
    await planner.start();
    stopRetention = startRetentionJob({ sql, log, admission, now: () => new Date() });
    started = true;
    log.info({ health_port: health.port }, "planner started");
    await stopped.promise;
  } finally {
    started = false;
    stopRetention?.();
    await planner?.stop();
    await admission?.stop();
    await health?.stop(true);
    await nc?.drain();
    await sql?.end({ timeout: 5 });
    await dataPlaneSql?.end({ timeout: 5 });
    await verifierSql?.end({ timeout: 5 });
    await telemetry.shutdown();
    log.info("planner stopped");
  }
}

if (import.meta.main) {
  run().catch((error) => {
    console.error(startupFailureLine("planner", error));
    process.exit(1);
  });
}
