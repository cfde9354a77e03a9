import { createLogger, type Logger } from "@semente/shared/telemetry";

/** The service's JSON logger (mandatory tenant/environment/run labels, PII redaction). */
export function createEvidenceLogger(level = process.env.LOG_LEVEL ?? "info"): Logger {
  return createLogger({ service: "evidence", level });
}
