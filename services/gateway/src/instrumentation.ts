import {
  type Counter,
  createLogger,
  createMetricsRegistry,
  type Histogram,
  LATENCY_BUCKETS,
  type Logger,
  type MetricsRegistry,
  registerSli,
  startServiceTelemetry,
  type Telemetry,
} from "@semente/platform/telemetry";

/** The gateway's metrics (names from the SLO catalogue), registered once per registry. */
export interface GatewayMetrics {
  registry: MetricsRegistry;
  /** `semente_http_requests_total{route,method,status}`. */
  requests: Counter;
  /** `semente_http_request_duration_seconds{route,method}`. */
  latency: Histogram;
  /** `semente_admission_decisions_total{environment,decision}`. */
  admissions: Counter;
  /** `semente_admission_duration_seconds{environment,decision}`. */
  admissionLatency: Histogram;
  /** `semente_rate_limited_total{policy}`. */
  rateLimited: Counter;
}

export function createGatewayMetrics(registry: MetricsRegistry = createMetricsRegistry()): GatewayMetrics {
  return {
    registry,
    requests: registerSli(registry, "httpRequests"),
    latency: registerSli(registry, "httpDuration", LATENCY_BUCKETS),
    admissions: registerSli(registry, "admissionDecisions"),
    admissionLatency: registerSli(registry, "admissionDuration", LATENCY_BUCKETS),
    rateLimited: registerSli(registry, "rateLimited"),
  };
}

/** The process logger; `main.ts` imports this module first so telemetry exists before anything else runs. */
export function createGatewayLogger(level = process.env.LOG_LEVEL ?? "info"): Logger {
  return createLogger({ service: "gateway", level });
}

/** Starts tracing (`OTEL_*`, default service name `semente-gateway`) and exposes its gate as a metric. */
export function startGatewayTelemetry(environment: string, log: Logger, metrics: GatewayMetrics): Telemetry {
  return startServiceTelemetry("gateway", environment, log, metrics.registry);
}
