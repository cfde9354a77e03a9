import type { NatsConnection } from "@nats-io/transport-node";
import type { Sql } from "@semente/platform/db";
import { SementeError } from "@semente/core/errors";
import { metricsResponse, natsProbe, readiness } from "@semente/platform/telemetry";
import type { Handler } from "../http/context.ts";
import type { GatewayMetrics } from "../instrumentation.ts";

/** Dependencies of the ops routes. */
export interface HealthDeps {
  sql: Sql;
  nc: NatsConnection;
  metrics: GatewayMetrics;
  /** Per-check timeout. @default 2000 */
  checkTimeoutMs?: number;
}

/** `GET /healthz`: the process is up. */
export const healthRoute: Handler = async () => ({ status: 200, json: { status: "ok" } });

/** `GET /readyz`: PostgreSQL answers `select 1` and NATS answers a round trip; 503 problem otherwise. */
export function readyRoute(deps: HealthDeps): Handler {
  return async () => {
    const { ok, checks } = await readiness({
      probes: { postgres: () => deps.sql`select 1`, nats: natsProbe(deps.nc) },
      checkTimeoutMs: deps.checkTimeoutMs ?? 2000,
    });
    if (!ok) {
      throw new SementeError("UNAVAILABLE", "a dependency is down", { extensions: { checks }, retryable: true });
    }
    return { status: 200, json: { status: "ready", checks } };
  };
}

/** `GET /metrics`: Prometheus text format. */
export function metricsRoute(deps: HealthDeps): Handler {
  return async () => metricsResponse(deps.metrics.registry);
}
