export { createHealthHandler, natsProbe, probe, readiness, startHealthServer } from "./health.ts";
export { createLogger, REDACTED_KEYS, redactForLog, SECRET_KEYS, scrubDatabaseText, withLabels } from "./logger.ts";
export { createExportGate, registerExportGateGauge } from "./export-gate.ts";
export { RunSpan, recordRunSpan, runTraceparent, runTraces } from "./run-traces.ts";
export type { RunTrace } from "./run-traces.ts";
export type { ExportGate, ExportGateOptions, ExportGateState } from "./export-gate.ts";
export {
  BATCH_BUCKETS,
  createMetricsRegistry,
  LATENCY_BUCKETS,
  metricsResponse,
  PROMETHEUS_CONTENT_TYPE,
  registerSli,
  registerSliGauge,
  SLI_METRICS,
} from "./metrics.ts";
export type { Gauge, SliKey } from "./metrics.ts";
export {
  contextFromTraceparent,
  extractTraceHeaders,
  injectTraceHeaders,
  inSpan,
  SpanKind,
  sementeTracer,
  startTelemetry,
  TELEMETRY_REQUIRED_ENVIRONMENTS,
  traceContextOf,
  tracesEndpoint,
  tracesProtocol,
} from "./tracing.ts";
export type { HeaderCarrier, InSpanOptions, Telemetry, TelemetryOptions } from "./tracing.ts";
export { childTraceContext, formatTraceparent, parseTraceparent } from "./traceparent.ts";
export type { CheckStatus, HealthOptions, Probe } from "./health.ts";
export type { Logger } from "./logger.ts";
export type { Counter, Histogram, MetricsRegistry } from "./metrics.ts";
export type { LoggerOptions, LogLabels, TraceContext } from "./types.ts";
export { startServiceTelemetry } from "./service.ts";
export { TELEMETRY_VARS } from "./vars.ts";
