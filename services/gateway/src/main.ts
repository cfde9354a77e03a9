#!/usr/bin/env bun
import { createGatewayLogger, createGatewayMetrics, startGatewayTelemetry } from "./instrumentation.ts";
import type { Telemetry } from "@semente/platform/telemetry";
import type { NatsConnection } from "@nats-io/transport-node";
import { isIsolatedDev, resolveAuthKeys } from "@semente/platform/auth";
import { connectNats, ensureRunEventsStream, natsOptionsFromVars } from "@semente/platform/bus";
import { type Admission, createAdmission } from "@semente/platform/admission";
import { jetstreamManager } from "@nats-io/jetstream";
import { applyDotenv, deprecatedVariables, startupFailureLine } from "@semente/platform/config";
import { createSql, type Sql } from "@semente/platform/db";
import { pipelineNames } from "@semente/platform/pipeline";
import { createGateway } from "./app.ts";
import { GATEWAY_VARS, loadGatewayConfig } from "./config.ts";

/** Wiring only: config, clients, the app on a port, purge timer, and a graceful shutdown. */
async function run(): Promise<void> {
  applyDotenv(process.env.SEMENTE_ENV_FILE || ".env");
  const log = createGatewayLogger();
  const { vars, gateway: config } = loadGatewayConfig();
  for (const line of deprecatedVariables(GATEWAY_VARS)) log.warn(line);
  const keys = resolveAuthKeys();
  const metrics = createGatewayMetrics();
  const telemetry: Telemetry = startGatewayTelemetry(config.environment, log, metrics);
  let sql: Sql | undefined;
  let nc: NatsConnection | undefined;
  let admission: Admission | undefined;
  let gateway: Awaited<ReturnType<typeof createGateway>> | undefined;
  let app: Awaited<ReturnType<typeof createGateway>>["app"] | undefined;
  let purge: ReturnType<typeof setInterval> | undefined;
  let stopping: Promise<void> | undefined;
  const stopped = Promise.withResolvers<void>();
  const shutdown = (signal: string) => {
    stopping ??= (async () => {
      log.info({ signal }, "shutting down");
      clearInterval(purge);
      await app?.stop();
      gateway?.close();
      await admission?.stop();
      stopped.resolve();
    })();
    return stopping;
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  try {
    sql = createSql(vars.SEMENTE_APP_DATABASE_URL, { applicationName: "semente-gateway" });
    nc = await connectNats(natsOptionsFromVars(vars, "gateway"));
    const events = {
      streamName: `${vars.CONTROL_NATS_NAME_PREFIX}SEED_RUNS`,
      subjectPrefix: vars.CONTROL_NATS_SUBJECT_PREFIX,
      replicas: vars.NATS_REPLICAS,
    };
    await ensureRunEventsStream(await jetstreamManager(nc), events);
    admission = await createAdmission({
      nc,
      sql,
      holderId: `gateway-${crypto.randomUUID()}`,
      globalSlots: vars.SEMENTE_GLOBAL_SLOTS,
      tenantLeaseTtlMs: vars.GATEWAY_TENANT_LEASE_TTL_S * 1000,
      slotLeaseTtlMs: vars.GATEWAY_SLOT_LEASE_TTL_S * 1000,
      queueTtlMs: config.queueTtlSeconds * 1000,
      bucketPrefix: vars.CONTROL_NATS_NAME_PREFIX,
      events,
      onError: (error) => log.error({ err: error }, "admission loop error"),
    });
    gateway = await createGateway({
      sql,
      nc,
      admission,
      keys,
      log,
      config,
      events,
      metrics,
      telemetry,
      consoleDevTokens: isIsolatedDev(),
      pipeline: pipelineNames({
        namePrefix: vars.PIPELINE_NATS_NAME_PREFIX,
        subjectPrefix: vars.PIPELINE_NATS_SUBJECT_PREFIX,
      }),
    });
    admission.start();
    const started = gateway;
    purge = setInterval(() => {
      started.purgeExpired().then(
        (purged) => log.info(purged, "purged expired governance rows"),
        (error) => log.error({ err: error }, "purge failed"),
      );
    }, vars.GATEWAY_PURGE_INTERVAL_S * 1000);
    // Bun's own body limit answers a bare 413 before the app sees the request; the app enforces
    // GATEWAY_MAX_BODY_BYTES itself while the body streams, with a problem document and RateLimit fields.
    app = gateway.app.listen({ port: vars.GATEWAY_PORT, maxRequestBodySize: Number.MAX_SAFE_INTEGER });
    log.info({ port: app.server?.port, environment: config.environment }, "gateway listening");
    await stopped.promise;
  } finally {
    clearInterval(purge);
    gateway?.close();
    await admission?.stop();
    await nc?.drain();
    await sql?.end({ timeout: 5 });
    await telemetry.shutdown();
    log.info("gateway stopped");
  }
}

if (import.meta.main) {
  run().catch((error) => {
    console.error(startupFailureLine("gateway", error));
    process.exit(1);
  });
}
