import type { NatsConnection } from "@nats-io/transport-node";
import type { Sql } from "@semente/shared/db";
import { SementeError } from "@semente/shared/errors";
import { PROMETHEUS_CONTENT_TYPE } from "@semente/shared/telemetry";
import type { Handler } from "../http/pipeline.ts";
import type { GatewayMetrics } from "../instrumentation.ts";

/** Dependencies of the ops routes. */
export interface HealthDeps {
  sql: Sql;
  nc: NatsConnection;
  metrics: GatewayMetrics;
  /** Per-check timeout. @default 2000 */
  checkTimeoutMs?: number;
}

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<"ok" | "down"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"down">((resolve) => {
    timer = setTimeout(() => resolve("down"), timeoutMs);
  });
  try {
    return await Promise.race([check().then(() => "ok" as const), timeout]);
  } catch {
    // A failing dependency is exactly what readiness reports; the cause is not part of the answer.
    return "down";
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /healthz`: the process is up. */
export const healthRoute: Handler = async () => ({ status: 200, json: { status: "ok" } });

/** `GET /readyz`: PostgreSQL answers `select 1` and NATS answers a round trip; 503 problem otherwise. */
export function readyRoute(deps: HealthDeps): Handler {
  return async () => {
    const timeout = deps.checkTimeoutMs ?? 2000;
    const [postgres, nats] = await Promise.all([
      probe(() => deps.sql`select 1`, timeout),
      probe(() => (deps.nc.isClosed() ? Promise.reject(new Error("closed")) : deps.nc.rtt()), timeout),
    ]);
    const checks = { postgres, nats };
    if (postgres === "down" || nats === "down") {
      throw new SementeError("UNAVAILABLE", "a dependency is down", { extensions: { checks }, retryable: true });
    }
    return { status: 200, json: { status: "ready", checks } };
  };
}

/** `GET /metrics`: Prometheus text format. */
export function metricsRoute(deps: HealthDeps): Handler {
  return async () =>
    new Response(deps.metrics.registry.render(), { status: 200, headers: { "Content-Type": PROMETHEUS_CONTENT_TYPE } });
}
