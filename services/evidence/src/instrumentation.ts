import {
  type Counter,
  createLogger,
  createMetricsRegistry,
  type Logger,
  type MetricsRegistry,
  registerSli,
} from "@semente/platform/telemetry";

/** The service's JSON logger (mandatory tenant/environment/run labels, PII redaction). */
export function createEvidenceLogger(level = process.env.LOG_LEVEL ?? "info"): Logger {
  return createLogger({ service: "evidence", level });
}

/** Process metrics and `semente_evidence_reports_total`. */
export function createEvidenceMetrics(): { registry: MetricsRegistry; reports: Counter } {
  const registry = createMetricsRegistry();
  return { registry, reports: registerSli(registry, "evidenceReports") };
}
