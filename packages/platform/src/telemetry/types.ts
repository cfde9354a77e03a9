/** Labels every Semente log line carries (R7.3); `null` when a line concerns no tenant/run. */
export interface LogLabels {
  tenant: string | null;
  environment: string | null;
  run: string | null;
}

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** Service name written as `service` on every line. */
  service: string;
  /** pino level. @default "info" */
  level?: string;
  /** Where lines go; tests pass a collecting stream. @default stdout */
  destination?: { write(line: string): void };
}

/** A parsed W3C `traceparent` (version 00). */
export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  spanId: string;
  /** Trace flags byte; bit 0 is `sampled`. */
  flags: number;
}
