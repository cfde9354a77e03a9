import {
  createLogger,
  createMetricsRegistry,
  LATENCY_BUCKETS,
  type Counter,
  type Histogram,
  type Logger,
  type MetricsRegistry,
} from "@semente/shared/telemetry";

/** The gateway's metrics, registered once per registry. */
export interface GatewayMetrics {
  registry: MetricsRegistry;
  /** `gateway_http_requests_total{route,method,status}`. */
  requests: Counter;
  /** `gateway_http_request_duration_seconds{route,method}`. */
  latency: Histogram;
  /** `gateway_admission_decisions_total{environment,decision}`. */
  admissions: Counter;
  /** `gateway_rate_limited_total{policy}`. */
  rateLimited: Counter;
}

export function createGatewayMetrics(registry: MetricsRegistry = createMetricsRegistry()): GatewayMetrics {
  return {
    registry,
    requests: registry.counter("gateway_http_requests_total", "HTTP requests by route, method and status."),
    latency: registry.histogram(
      "gateway_http_request_duration_seconds",
      "HTTP request latency by route and method.",
      LATENCY_BUCKETS,
    ),
    admissions: registry.counter(
      "gateway_admission_decisions_total",
      "Admission decisions by environment and outcome.",
    ),
    rateLimited: registry.counter("gateway_rate_limited_total", "Requests refused by a rate-limit policy."),
  };
}

/** The process logger; `main.ts` imports this module first so telemetry exists before anything else runs. */
export function createGatewayLogger(level = process.env.LOG_LEVEL ?? "info"): Logger {
  return createLogger({ service: "gateway", level });
}
