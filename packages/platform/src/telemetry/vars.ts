import { int, oneOf, str } from "../config/env.ts";
import { Environment } from "@semente/core/manifest";

/**
 * Telemetry variables every service validates at start-up. The OpenTelemetry SDK reads the
 * standard `OTEL_*` variables itself (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER_ARG`,
 * `OTEL_BSP_*`, `OTEL_EXPORTER_OTLP_HEADERS`, …); the ones listed here are those Semente acts on.
 */
export const TELEMETRY_VARS = {
  SEMENTE_ENV: oneOf("Deployment environment of this process", Object.values(Environment), "dev"),
  OTEL_EXPORTER_OTLP_ENDPOINT: str(
    "OTLP/HTTP base URL of the collector (`/v1/traces` is appended); unset: spans are not exported, refused in staging/prod",
    "",
  ),
  OTEL_EXPORTER_OTLP_PROTOCOL: oneOf("OTLP/HTTP encoding", ["http/protobuf", "http/json"] as const, "http/protobuf"),
  OTEL_SERVICE_NAME: str("Service name on spans; empty: `semente-<service>`", ""),
  OTEL_TRACES_SAMPLER: str("Trace sampler (standard names, e.g. `parentbased_traceidratio`)", "parentbased_always_on"),
  SEMENTE_TELEMETRY_FAILURE_BOUND_MS: int(
    "Staging/prod: trace export failing this long refuses new runs (TELEMETRY_UNAVAILABLE)",
    "30000",
    100,
  ),
  SEMENTE_TELEMETRY_PROBE_MS: int("Period of the empty export request that checks the collector", "5000", 50),
} as const;
