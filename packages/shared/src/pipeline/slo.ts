/** Batch latencies the SLO gate looks at: the most recent ones only (a slow start is forgiven). */
export const SLO_WINDOW = 50;
/** Fewer samples than this say nothing about a percentile: the gate stays open. */
export const SLO_MIN_SAMPLES = 10;

/** The manifest's `slo` thresholds the live gate compares with. */
export interface SloThresholds {
  p95_batch_ms: number;
  p99_batch_ms: number;
}

/** What the gate measured over its window. */
export interface SloReading {
  samples: number;
  p95Ms: number;
  p99Ms: number;
  breached: boolean;
}

/** Nearest-rank percentile (`q` in (0, 1]) of `values`; 0 for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1] as number;
}

/** A sliding window of batch latencies and the gate over it. */
export interface SloGate {
  /** Records the duration of one batch (the seeder's measure, transaction retries included). */
  record(durationMs: number): void;
  /** p95/p99 over the window; `breached` only with at least `SLO_MIN_SAMPLES` samples. */
  read(): SloReading;
}

export function createSloGate(thresholds: SloThresholds, window = SLO_WINDOW, minSamples = SLO_MIN_SAMPLES): SloGate {
  const samples: number[] = [];
  return {
    record(durationMs) {
      samples.push(durationMs);
      if (samples.length > window) samples.shift();
    },
    read() {
      const p95Ms = percentile(samples, 0.95);
      const p99Ms = percentile(samples, 0.99);
      const breached =
        samples.length >= minSamples && (p95Ms > thresholds.p95_batch_ms || p99Ms > thresholds.p99_batch_ms);
      return { samples: samples.length, p95Ms, p99Ms, breached };
    },
  };
}
