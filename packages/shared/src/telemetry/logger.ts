import pino, { type Logger } from "pino";
import type { LoggerOptions, LogLabels } from "./types.ts";

/**
 * Paths pino replaces with `[redacted]`: credentials, tokens and the PII fields our factories produce.
 * Logs must never carry PII or secrets (R7.3); redaction is the safety net, not the policy.
 */
export const REDACT_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "password",
  "*.password",
  "cpf",
  "*.cpf",
  "cnpj",
  "*.cnpj",
  "email",
  "*.email",
  "phone",
  "*.phone",
  "full_name",
  "*.full_name",
  "birth_date",
  "*.birth_date",
  "body",
  "*.body",
] as const;

const NO_LABELS: LogLabels = { tenant: null, environment: null, run: null };
const LABEL_KEYS = Object.keys(NO_LABELS) as (keyof LogLabels)[];

/**
 * Adds, as `null`, each mandatory label the logger's bindings lack. Labels set by `withLabels` are
 * bindings already; putting `null` defaults in `base` instead would print a key twice per line.
 */
function missingLabels(_: object, __: number, logger: Logger): Partial<LogLabels> {
  const bound = logger.bindings();
  const missing: Partial<LogLabels> = {};
  for (const key of LABEL_KEYS) if (!(key in bound)) missing[key] = null;
  return missing;
}

/** A JSON logger whose every line carries `service` and the mandatory labels tenant/environment/run. */
export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level ?? "info",
    base: { service: options.service },
    mixin: missingLabels,
    redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** A child logger bound to a tenant/environment/run; unknown labels stay `null`, never absent. */
export function withLabels(log: Logger, labels: Partial<LogLabels>): Logger {
  return log.child(labels);
}

export type { Logger };
