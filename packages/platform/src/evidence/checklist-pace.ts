/** The `rate_limit` and `slo` checklist items: how fast the run wrote, against its caps and service levels. */
import { type ChecklistInput, na } from "./checklist-input.ts";
import type { CheckItem } from "./report-types.ts";

/** Nearest-rank percentile of `values` (non-empty). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Rows per second over the run's duration (3 decimals), or null without a positive duration. */
function rowsPerSecond(rows: number, durationS: number | null): number | null {
  return durationS !== null && durationS > 0 ? Math.round((rows / durationS) * 1000) / 1000 : null;
}

export function rateLimitCheck({
  run,
  manifest,
  checkpoints,
  batches,
  durationS,
  gateway429s,
}: ChecklistInput): CheckItem {
  const batchThrottles = batches.filter((b) => b.errorCode === "RATE_LIMITED").length;
  const rows = checkpoints.reduce((sum, c) => sum + c.rowCount, 0);
  const evidence = {
    gateway_429s: gateway429s,
    batches_rate_limited: batchThrottles,
    measured_rows_per_second: null as number | null,
    target_rows_per_second: manifest?.rate_limit.target_rows_per_second ?? null,
    cap_rows_per_second: manifest?.rate_limit.cap_rows_per_second ?? null,
  };
  if (rows === 0) return { ...na("rate_limit", "no rows were written"), evidence: { ...evidence, reason: "no rows" } };
  const aborted = run.reason?.code === "RATE_LIMITED";
  const measured = rowsPerSecond(rows, durationS);
  evidence.measured_rows_per_second = measured;
  const cap = evidence.cap_rows_per_second;
  const missing = gateway429s === null ? "the gateway audit" : measured === null ? "a measured duration" : null;
  const ok = missing === null && !aborted && cap !== null && (measured as number) <= cap;
  return {
    id: "rate_limit",
    status: ok ? "pass" : "fail",
    summary: ok
      ? `${gateway429s} 429 answer(s) audited for the run's principal and tenant; ${measured} rows/s within the cap of ${cap}`
      : rateLimitFailure(missing, aborted, cap, measured),
    evidence,
  };
}

function rateLimitFailure(
  missing: string | null,
  aborted: boolean,
  cap: number | null,
  measured: number | null,
): string {
  if (missing !== null) return `no evidence: ${missing} was not available`;
  if (aborted) return "the run was aborted by persistent rate limiting";
  return cap === null ? "the manifest declares no rate cap" : `${measured} rows/s exceeds the cap of ${cap}`;
}

export function sloCheck({ manifest, checkpoints, durationS }: ChecklistInput): CheckItem {
  if (manifest === null) return na("slo", "the run's manifest is not a valid v1 manifest");
  if (checkpoints.length === 0) return na("slo", "no batch was committed");
  const durations = checkpoints.map((c) => c.durationMs).filter((d): d is number => d !== null);
  const rows = checkpoints.reduce((sum, c) => sum + c.rowCount, 0);
  const throughput = rowsPerSecond(rows, durationS);
  const p95 = durations.length === 0 ? null : percentile(durations, 95);
  const p99 = durations.length === 0 ? null : percentile(durations, 99);
  const { p95_batch_ms, p99_batch_ms, min_rows_per_second } = manifest.slo;
  const problems: string[] = [];
  if (durations.length < checkpoints.length)
    problems.push(`${checkpoints.length - durations.length} batch(es) without a duration`);
  if (throughput === null) problems.push("no measured run duration");
  if (p95 !== null && p95 > p95_batch_ms) problems.push(`p95 ${p95} ms over ${p95_batch_ms} ms`);
  if (p99 !== null && p99 > p99_batch_ms) problems.push(`p99 ${p99} ms over ${p99_batch_ms} ms`);
  if (throughput !== null && throughput < min_rows_per_second)
    problems.push(`${throughput} rows/s under the minimum of ${min_rows_per_second}`);
  return {
    id: "slo",
    status: problems.length === 0 ? "pass" : "fail",
    summary:
      problems.length === 0
        ? `batch p95 ${p95} ms and p99 ${p99} ms within the SLO; ${throughput} rows/s at least ${min_rows_per_second}`
        : problems.join("; "),
    evidence: {
      batches_measured: durations.length,
      p95_batch_ms: p95,
      p99_batch_ms: p99,
      slo_p95_batch_ms: p95_batch_ms,
      slo_p99_batch_ms: p99_batch_ms,
      rows_per_second: throughput,
      slo_min_rows_per_second: min_rows_per_second,
    },
  };
}
