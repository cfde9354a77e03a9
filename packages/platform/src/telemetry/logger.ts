import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import pino, { type Logger } from "pino";
import { PII_FIELDS } from "@semente/core/contracts";
import type { LoggerOptions, LogLabels } from "./types.ts";

/** Keys whose values never reach a log line: credentials and raw request bodies. */
export const SECRET_KEYS = ["authorization", "cookie", "token", "secret", "password", "body"] as const;

/**
 * Every key redacted at any depth: {@link SECRET_KEYS} plus the PII columns the entity contracts
 * mark (`PII_FIELDS`), so a new PII column is redacted without a second list (R7.3).
 */
export const REDACTED_KEYS: ReadonlySet<string> = new Set([...SECRET_KEYS, ...PII_FIELDS]);

const CENSOR = "[redacted]";
const MAX_DEPTH = 12;

/**
 * Values PostgreSQL echoes into error texts: `Key (cpf)=(123…) already exists`, `Failing row
 * contains (…)`, `invalid input syntax for type …: "…"`. The column list stays; the values go.
 * E-mail addresses are removed from every string as well.
 */
const DB_VALUE_PATTERNS: readonly [RegExp, string][] = [
  [/(Key \([^)]*\)=)\((?:[^()]|\([^()]*\))*\)/g, `$1(${CENSOR})`],
  [/(Failing row contains )\(.*\)/gs, `$1(${CENSOR})`],
  [/(invalid input (?:syntax|value) for [^:]*: )"[^"]*"/g, `$1"${CENSOR}"`],
  // An e-mail address under any key (a token subject, a free-text message) is personal data too.
  [/[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[A-Za-z]{2,}/g, CENSOR],
];

/** Removes the values PostgreSQL quotes in an error text. */
export function scrubDatabaseText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of DB_VALUE_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A copy of `value` fit for a log line: keys in {@link REDACTED_KEYS} censored at any depth,
 * PostgreSQL value echoes removed from strings, errors serialized (with their `detail`, `cause`).
 */
export function redactForLog(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return scrubDatabaseText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[depth]";
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  if (value instanceof Error) return redactForLog(pino.stdSerializers.err(value), depth + 1, seen);
  if (Array.isArray(value)) return value.map((item) => redactForLog(item, depth + 1, seen));
  if (value instanceof Date || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = REDACTED_KEYS.has(key.toLowerCase()) ? CENSOR : redactForLog(item, depth + 1, seen);
  }
  return out;
}

const NO_LABELS: LogLabels = { tenant: null, environment: null, run: null };
const LABEL_KEYS = Object.keys(NO_LABELS) as (keyof LogLabels)[];

/**
 * Adds, as `null`, each mandatory label the logger's bindings lack. Labels set by `withLabels` are
 * bindings already; putting `null` defaults in `base` instead would print a key twice per line.
 */
function missingLabels(
  _: object,
  __: number,
  logger: Logger,
): Partial<LogLabels> & { trace_id?: string; span_id?: string } {
  const bound = logger.bindings();
  const missing: Partial<LogLabels> & { trace_id?: string; span_id?: string } = {};
  for (const key of LABEL_KEYS) if (!(key in bound)) missing[key] = null;
  // A line written inside a span names it, so logs and traces join on the ids.
  const span = trace.getSpanContext(context.active());
  if (span !== undefined && isSpanContextValid(span)) {
    missing.trace_id = span.traceId;
    missing.span_id = span.spanId;
  }
  return missing;
}

/**
 * A JSON logger whose every line carries `service` and the mandatory labels tenant/environment/run,
 * plus `trace_id`/`span_id` of the active span when there is one.
 */
export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level ?? "info",
    base: { service: options.service },
    mixin: missingLabels,
    timestamp: pino.stdTimeFunctions.isoTime,
    // `formatters.log` has serialized errors already (pino runs serializers after it).
    serializers: { err: (value: unknown) => value },
    // Redaction runs on the whole merged object (any depth, errors included), not on fixed paths.
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (object: Record<string, unknown>) => redactForLog(object) as Record<string, unknown>,
    },
    hooks: {
      // The message text too: an interpolated PostgreSQL error must not carry its values.
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => (typeof a === "string" ? scrubDatabaseText(a) : a)),
        );
      },
    },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** A child logger bound to a tenant/environment/run; unknown labels stay `null`, never absent. */
export function withLabels(log: Logger, labels: Partial<LogLabels>): Logger {
  return log.child(labels);
}

export type { Logger };
