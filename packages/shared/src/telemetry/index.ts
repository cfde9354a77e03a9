export { createHealthHandler, natsProbe, probe, readiness, startHealthServer } from "./health.ts";
export { createLogger, REDACT_PATHS, withLabels } from "./logger.ts";
export { createMetricsRegistry, LATENCY_BUCKETS, PROMETHEUS_CONTENT_TYPE } from "./metrics.ts";
export { childTraceContext, formatTraceparent, parseTraceparent } from "./traceparent.ts";
export type { CheckStatus, HealthOptions, Probe } from "./health.ts";
export type { Logger } from "./logger.ts";
export type { Counter, Histogram, MetricsRegistry } from "./metrics.ts";
export type { LoggerOptions, LogLabels, TraceContext } from "./types.ts";
