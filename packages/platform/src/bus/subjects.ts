import type { RunState } from "../runs/index.ts";

/** A run lifecycle event is named after the state the run entered. */
export type RunEvent = RunState;

/** Default name of the run lifecycle stream. */
export const RUN_EVENTS_STREAM = "SEED_RUNS";

/** Root of the run lifecycle subjects. */
export const RUN_EVENTS_ROOT = "seed.run";

/**
 * Makes a value safe as one subject token: NATS separators (`.`), wildcards (`*`, `>`) and
 * whitespace or control characters become `_`; an empty value becomes `_`.
 */
export function sanitizeToken(value: string): string {
  const cleaned = value.replace(/[.*>\s\p{Cc}]/gu, "_");
  return cleaned === "" ? "_" : cleaned;
}

/** Subject names, optionally under a prefix (tests isolate themselves with one). */
export const subjects = {
  /** `<prefix>seed.run.<env>.<tenant>.<run>.<event>` */
  runEvent(run: { environment: string; tenantId: string; id: string }, event: RunEvent, prefix = ""): string {
    return [
      `${prefix}${RUN_EVENTS_ROOT}`,
      sanitizeToken(run.environment),
      sanitizeToken(run.tenantId),
      sanitizeToken(run.id),
      sanitizeToken(event),
    ].join(".");
  },
  /** `<prefix>seed.run.<env>.<tenant>.<run>.budget_alert`: measured cost reached 80 % of the budget. */
  budgetAlert(run: { environment: string; tenantId: string; id: string }, prefix = ""): string {
    return [
      `${prefix}${RUN_EVENTS_ROOT}`,
      sanitizeToken(run.environment),
      sanitizeToken(run.tenantId),
      sanitizeToken(run.id),
      "budget_alert",
    ].join(".");
  },
  /** Every run event (`<prefix>seed.run.>`). */
  allRunEvents(prefix = ""): string {
    return `${prefix}${RUN_EVENTS_ROOT}.>`;
  },
  /** Every event of one environment (`<prefix>seed.run.<env>.>`). */
  environmentRunEvents(environment: string, prefix = ""): string {
    return `${prefix}${RUN_EVENTS_ROOT}.${sanitizeToken(environment)}.>`;
  },
} as const;
