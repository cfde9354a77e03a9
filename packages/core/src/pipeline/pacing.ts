/**
 * The length of the sliding window over which `cap_rows_per_second` is guaranteed: no 10 s window
 * of commits holds more than `cap × 10 s` rows (docs/adr/0004-planner-paced-release.md).
 */
export const PACING_WINDOW_MS = 10_000;

/** Inputs of {@link pacingPlan}. */
export interface PacingInput {
  /** `rate_limit.target_rows_per_second`. */
  targetRowsPerSecond: number;
  /** `rate_limit.cap_rows_per_second`. */
  capRowsPerSecond: number;
  /** Rows of the largest batch (`batch_size`). */
  batchRows: number;
  /** Batches the run may have in flight at once. */
  maxInFlight: number;
  /** @default PACING_WINDOW_MS */
  windowMs?: number;
}

/** How the planner releases one run's batches. */
export interface PacingPlan {
  /** Refill rate of the release bucket. */
  rowsPerSecond: number;
  /** Bucket size: one batch, so a stall never banks a burst. */
  burstRows: number;
  /** Batches in flight at once (may be below the requested parallelism to keep the cap). */
  maxInFlight: number;
  /**
   * Whether the cap holds by construction: `(maxInFlight + 1) · batchRows ≤ (cap − rate) · window`.
   * False only when two batches alone exceed `cap × window`.
   */
  capGuaranteed: boolean;
}

/**
 * Rows committed in any window of length W are at most the rows in flight when it opens plus
 * what the bucket releases during it: `maxInFlight · b + b + rate · W`. The plan keeps that under
 * `cap · W`: the target rate with the requested parallelism when it fits, else less parallelism,
 * else a lower rate.
 */
export function pacingPlan(input: PacingInput): PacingPlan {
  const windowS = (input.windowMs ?? PACING_WINDOW_MS) / 1000;
  const b = input.batchRows;
  const rateWith = (inFlight: number) => input.capRowsPerSecond - ((inFlight + 1) * b) / windowS;
  for (let inFlight = Math.max(1, input.maxInFlight); inFlight >= 1; inFlight--) {
    if (rateWith(inFlight) >= input.targetRowsPerSecond) {
      return { rowsPerSecond: input.targetRowsPerSecond, burstRows: b, maxInFlight: inFlight, capGuaranteed: true };
    }
  }
  const rate = rateWith(1);
  if (rate > 0) return { rowsPerSecond: rate, burstRows: b, maxInFlight: 1, capGuaranteed: true };
  // A single batch is larger than the cap allows per window: pace at the cap, one batch at a time.
  return { rowsPerSecond: input.capRowsPerSecond, burstRows: b, maxInFlight: 1, capGuaranteed: false };
}

/** A token bucket of rows, on a clock the caller passes in (milliseconds). */
export interface Pacer {
  /** Takes `rows` when the bucket holds them (a batch larger than the bucket needs a full bucket). */
  take(rows: number, nowMs: number): boolean;
  /** Milliseconds until `rows` could be taken (0 when now). */
  waitMs(rows: number, nowMs: number): number;
}

/** A bucket that starts full (one batch may go at once) and refills at `plan.rowsPerSecond`. */
export function createPacer(plan: PacingPlan, startMs: number): Pacer {
  let tokens = plan.burstRows;
  let last = startMs;
  const refill = (nowMs: number) => {
    if (nowMs > last) tokens = Math.min(plan.burstRows, tokens + ((nowMs - last) / 1000) * plan.rowsPerSecond);
    last = Math.max(last, nowMs);
  };
  const need = (rows: number) => Math.min(rows, plan.burstRows);
  return {
    take(rows, nowMs) {
      refill(nowMs);
      if (tokens + 1e-9 < need(rows)) return false;
      tokens -= rows;
      return true;
    },
    waitMs(rows, nowMs) {
      refill(nowMs);
      const missing = need(rows) - tokens;
      return missing <= 0 ? 0 : Math.ceil((missing / plan.rowsPerSecond) * 1000);
    },
  };
}
