/** Batch latencies the SLO gate looks at: the most recent ones only (a slow start is forgiven). */
export const SLO_WINDOW = 50;
/** Fewer samples than this say nothing about a percentile: the gate stays open. */
export const SLO_MIN_SAMPLES = 10;

/** The manifest's `slo` thresholds the live gate compares with. */
export interface SloThresholds {
  p95_batch_ms: number;
  p99_batch_ms: number;
  /** Error budget: share of failed deliveries among the last outcomes (0–1). */
  max_error_rate: number;
}

/** What the gate measured over its window. */
export interface SloReading {
  samples: number;
  p95Ms: number;
  p99Ms: number;
  /** Batch outcomes (commits and failed deliveries) in the error window. */
  outcomes: number;
  /** Failed deliveries / outcomes; 0 without outcomes. */
  errorRate: number;
  /** Latency over p95/p99. */
  latencyBreached: boolean;
  /** Error rate over the budget. */
  errorBudgetBreached: boolean;
  breached: boolean;
}

/** Nearest-rank percentile (`q` in (0, 1]) of `values`; 0 for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1] as number;
}

/** A sliding window of batch latencies and outcomes, and the gate over them. */
export interface SloGate {
  /** Records the duration of one committed batch (the seeder's measure, transaction retries included); also a success outcome. */
  record(durationMs: number): void;
  /** Records one failed delivery of a batch (an error outcome). */
  recordFailure(): void;
  /** p95/p99 and error rate over the windows; a breach only with at least `SLO_MIN_SAMPLES` samples. */
  read(): SloReading;
}

const push = <T>(values: T[], value: T, window: number) => {
  values.push(value);
  if (values.length > window) values.shift();
};

export function createSloGate(thresholds: SloThresholds, window = SLO_WINDOW, minSamples = SLO_MIN_SAMPLES): SloGate {
  const samples: number[] = [];
  const outcomes: boolean[] = [];
  return {
    record(durationMs) {
      push(samples, durationMs, window);
      push(outcomes, false, window);
    },
    recordFailure() {
      push(outcomes, true, window);
    },
    read() {
      const p95Ms = percentile(samples, 0.95);
      const p99Ms = percentile(samples, 0.99);
      const failed = outcomes.filter((f) => f).length;
      const errorRate = outcomes.length === 0 ? 0 : failed / outcomes.length;
      const latencyBreached =
        samples.length >= minSamples && (p95Ms > thresholds.p95_batch_ms || p99Ms > thresholds.p99_batch_ms);
      const errorBudgetBreached = outcomes.length >= minSamples && errorRate > thresholds.max_error_rate;
      return {
        samples: samples.length,
        p95Ms,
        p99Ms,
        outcomes: outcomes.length,
        errorRate,
        latencyBreached,
        errorBudgetBreached,
        breached: latencyBreached || errorBudgetBreached,
      };
    },
  };
}
