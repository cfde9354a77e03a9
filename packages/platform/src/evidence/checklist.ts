import { RLS_REQUIRED_TABLES } from "../db/rls-record.ts";
import type { Manifest } from "@semente/core/manifest";
import type { Run } from "../runs/index.ts";
import { type DrillEvidence, drCheck } from "./drill.ts";
import { forOperation } from "./purge.ts";
import type { AuditFact, BatchFact, CheckpointFact } from "./facts.ts";
import type { CheckItem, ReportPurge } from "./report-types.ts";

export type { AuditFact, BatchFact, CheckpointFact } from "./facts.ts";

/** Everything the checklist is computed from. */
export interface ChecklistInput {
  run: Run;
  manifest: Manifest | null;
  checkpoints: CheckpointFact[];
  batches: BatchFact[];
  audit: AuditFact[];
  /** Run duration in seconds (started → finished), when both are known. */
  durationS: number | null;
  /**
   * 429 answers the gateway audited (`http.refuse`, reason RATE_LIMITED) for the run's principal
   * and tenant between its creation and its end; null when the audit was not read.
   */
  gateway429s: number | null;
  /** The report's dataset section. */
  dataset: { digest: string | null; recorded_digest: string | null; checkpoints: number };
  /** The report's trace section. */
  trace: { trace_id: string | null; span_ids: string[] };
  /** A DR drill's facts; absent (or null) for every other run, which gets no `dr` item. */
  drill?: DrillEvidence | null;
  /** The purge phase of a purge or reseed run; null or absent for a seed run. */
  purge?: ReportPurge | null;
}

/** Nearest-rank percentile of `values` (non-empty). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

const na = (id: CheckItem["id"], reason: string): CheckItem => ({
  id,
  status: "not_applicable",
  summary: reason,
  evidence: { reason },
});

function piiCheck({ run, manifest, checkpoints }: ChecklistInput): CheckItem {
  const versions = [...new Set(checkpoints.map((c) => c.keyVersion))].sort((a, b) => a - b);
  const evidence = {
    masking_key_version: run.keyVersion,
    manifest_key_version: manifest?.key_version ?? null,
    checkpoint_key_versions: versions,
    raw_pii_fields: 0,
    report_scan: "clean",
  };
  if (checkpoints.length === 0) {
    return {
      id: "pii",
      status: "not_applicable",
      summary: "no rows were written",
      evidence: { ...evidence, reason: "no checkpoints" },
    };
  }
  const ok =
    versions.length === 1 &&
    versions[0] === run.keyVersion &&
    (manifest === null || manifest.key_version === run.keyVersion);
  return {
    id: "pii",
    status: ok ? "pass" : "fail",
    summary: ok
      ? `every batch was masked with key version ${run.keyVersion}; the report holds no raw PII`
      : `batches used key versions ${versions.join(", ")}, the run declares ${run.keyVersion}`,
    evidence,
  };
}

interface RlsDetails {
  role?: { name?: unknown; superuser?: unknown; bypassrls?: unknown };
  tables?: { table?: unknown; rls_enabled?: unknown; rls_forced?: unknown; policies?: unknown }[];
}

function rlsCheck({ audit, checkpoints }: ChecklistInput): CheckItem {
  const record = audit.filter((a) => a.action.startsWith("preflight.")).at(-1);
  if (record === undefined) {
    return checkpoints.length === 0
      ? na("rls", "no preflight was recorded and no rows were written")
      : {
          id: "rls",
          status: "fail",
          summary: "rows were written but no preflight result was recorded",
          evidence: { preflight_recorded: false, checkpoints: checkpoints.length },
        };
  }
  const checks = Array.isArray(record.details?.checks)
    ? (record.details.checks as { check?: unknown; ok?: unknown }[])
    : [];
  const rls = (record.details?.rls ?? {}) as RlsDetails;
  const tables = Array.isArray(rls.tables) ? rls.tables : [];
  const seen = new Map(tables.map((t) => [String(t.table), t]));
  const tablesFailed = RLS_REQUIRED_TABLES.filter((name) => {
    const t = seen.get(name);
    return (
      t === undefined ||
      t.rls_enabled !== true ||
      t.rls_forced !== true ||
      !Array.isArray(t.policies) ||
      t.policies.length === 0
    );
  });
  const policies = tables.flatMap((t) =>
    Array.isArray(t.policies) ? t.policies.map((p) => `${String(t.table)}:${String(p)}`) : [],
  );
  const roleOk = rls.role?.superuser === false && rls.role?.bypassrls === false;
  const failed = checks.filter((c) => c.ok !== true).map((c) => String(c.check));
  const recorded = checks.length > 0 && tables.length > 0 && rls.role !== undefined;
  const ok = record.outcome === "success" && recorded && failed.length === 0 && tablesFailed.length === 0 && roleOk;
  return {
    id: "rls",
    status: ok ? "pass" : "fail",
    summary: ok
      ? `RLS preflight passed: ${tables.length} tables with forced RLS and a policy, role ${String(rls.role?.name)} without SUPERUSER or BYPASSRLS`
      : !recorded
        ? "the preflight record lists no role attributes, table checks or checks that ran"
        : "RLS preflight did not pass",
    evidence: {
      preflight_action: record.action,
      outcome: record.outcome,
      role: typeof rls.role?.name === "string" ? rls.role.name : null,
      role_superuser: typeof rls.role?.superuser === "boolean" ? rls.role.superuser : null,
      role_bypassrls: typeof rls.role?.bypassrls === "boolean" ? rls.role.bypassrls : null,
      checks_passed: checks.filter((c) => c.ok === true).map((c) => String(c.check)),
      checks_failed: failed,
      tables_checked: tables.map((t) => String(t.table)),
      tables_failed: tablesFailed,
      policies,
      refusal_code: record.reason,
    },
  };
}

function contractsCheck({ checkpoints, batches, audit }: ChecklistInput): CheckItem {
  const written = checkpoints.reduce((sum, c) => sum + c.rowCount, 0);
  const validated = checkpoints.reduce((sum, c) => sum + (c.rowsValidated ?? 0), 0);
  const unvalidated = checkpoints.filter((c) => c.rowsValidated !== c.rowCount);
  const violations =
    batches.filter((b) => b.errorCode === "CONTRACT_VIOLATION").length +
    audit.filter((a) => a.reason === "CONTRACT_VIOLATION").length;
  if (checkpoints.length === 0 && violations === 0) return na("contracts", "no rows were generated");
  const entities = [...new Set(checkpoints.map((c) => c.entity))].length;
  const ok = violations === 0 && unvalidated.length === 0;
  return {
    id: "contracts",
    status: ok ? "pass" : "fail",
    summary: ok
      ? `${validated} rows of ${entities} entities were validated against their /api/v1 contracts at generation`
      : violations > 0
        ? `${violations} contract violation(s) recorded`
        : `${unvalidated.length} checkpoint(s) carry no contract validation count for all their rows`,
    evidence: {
      rows_written: written,
      rows_validated: validated,
      entities_validated: entities,
      checkpoints_without_validation: unvalidated.map((c) => `${c.entity}/${c.batchIndex}`),
      violations,
    },
  };
}

function idempotencyCheck({ checkpoints, batches }: ChecklistInput): CheckItem {
  if (checkpoints.length === 0) return na("idempotency", "no checkpoints");
  let overlaps = 0;
  const byEntity = new Map<string, CheckpointFact[]>();
  for (const c of checkpoints) byEntity.set(c.entity, [...(byEntity.get(c.entity) ?? []), c]);
  for (const list of byEntity.values()) {
    list.sort((a, b) => a.fromOrdinal - b.fromOrdinal);
    for (let i = 1; i < list.length; i++) {
      if ((list[i] as CheckpointFact).fromOrdinal < (list[i - 1] as CheckpointFact).toOrdinal) overlaps++;
    }
  }
  const batchByKey = new Map(batches.map((b) => [`${b.entity}/${b.batchIndex}`, b]));
  const digestMismatches = checkpoints.filter((c) => {
    const b = batchByKey.get(`${c.entity}/${c.batchIndex}`);
    return b !== undefined && b.digest !== null && b.digest !== c.digest;
  }).length;
  const redelivered = batches.filter((b) => b.attempts > 1).length;
  const ok = overlaps === 0 && digestMismatches === 0;
  return {
    id: "idempotency",
    status: ok ? "pass" : "fail",
    summary: ok
      ? `${checkpoints.length} checkpoints, no duplicate or overlapping batch (${redelivered} redelivered without effect)`
      : `${overlaps} overlapping batch range(s), ${digestMismatches} batch/checkpoint digest mismatch(es)`,
    evidence: {
      checkpoints: checkpoints.length,
      overlapping_ranges: overlaps,
      digest_mismatches: digestMismatches,
      redelivered_batches: redelivered,
    },
  };
}

function rateLimitCheck({ run, manifest, checkpoints, batches, durationS, gateway429s }: ChecklistInput): CheckItem {
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
  const measured = durationS !== null && durationS > 0 ? Math.round((rows / durationS) * 1000) / 1000 : null;
  evidence.measured_rows_per_second = measured;
  const cap = evidence.cap_rows_per_second;
  const missing = gateway429s === null ? "the gateway audit" : measured === null ? "a measured duration" : null;
  const ok = missing === null && !aborted && cap !== null && (measured as number) <= cap;
  return {
    id: "rate_limit",
    status: ok ? "pass" : "fail",
    summary: ok
      ? `${gateway429s} 429 answer(s) audited for the run's principal and tenant; ${measured} rows/s within the cap of ${cap}`
      : missing !== null
        ? `no evidence: ${missing} was not available`
        : aborted
          ? "the run was aborted by persistent rate limiting"
          : cap === null
            ? "the manifest declares no rate cap"
            : `${measured} rows/s exceeds the cap of ${cap}`,
    evidence,
  };
}

function sloCheck({ manifest, checkpoints, durationS }: ChecklistInput): CheckItem {
  if (manifest === null) return na("slo", "the run's manifest is not a valid v1 manifest");
  if (checkpoints.length === 0) return na("slo", "no batch was committed");
  const durations = checkpoints.map((c) => c.durationMs).filter((d): d is number => d !== null);
  const rows = checkpoints.reduce((sum, c) => sum + c.rowCount, 0);
  const throughput = durationS !== null && durationS > 0 ? Math.round((rows / durationS) * 1000) / 1000 : null;
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

function datasetCheck({ run, dataset }: ChecklistInput): CheckItem {
  const evidence = {
    digest: dataset.digest,
    recorded_digest: dataset.recorded_digest,
    checkpoints: dataset.checkpoints,
    run_state: run.state,
  };
  if (dataset.recorded_digest === null && run.state !== "completed") {
    return {
      id: "dataset",
      status: "not_applicable",
      summary:
        dataset.digest === null
          ? `the run ended ${run.state} before committing any batch`
          : `the run ended ${run.state}: dataset.digest covers its ${dataset.checkpoints} committed batch(es), no complete dataset was recorded`,
      evidence: { ...evidence, reason: `run ${run.state}` },
    };
  }
  const ok = dataset.digest !== null && dataset.digest === dataset.recorded_digest;
  return {
    id: "dataset",
    status: ok ? "pass" : "fail",
    summary: ok
      ? `the dataset digest of ${dataset.checkpoints} checkpoints equals the run's recorded digest`
      : `the dataset digest of the checkpoints (${dataset.digest ?? "none"}) differs from the run's recorded digest (${dataset.recorded_digest ?? "none"})`,
    evidence,
  };
}

function traceCheck({ trace }: ChecklistInput): CheckItem {
  const ok = trace.trace_id !== null && trace.span_ids.length > 0;
  return {
    id: "trace",
    status: ok ? "pass" : "not_applicable",
    summary: ok ? `trace ${trace.trace_id} with ${trace.span_ids.length} span(s)` : "not recorded",
    evidence: ok
      ? { trace_id: trace.trace_id, span_ids: trace.span_ids }
      : { reason: "not recorded", trace_id: trace.trace_id, span_ids: trace.span_ids },
  };
}

/** True when some evidence value is present: not null, not an empty string or array. */
export function hasEvidence(item: CheckItem): boolean {
  return Object.entries(item.evidence).some(
    ([key, v]) => key !== "reason" && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0),
  );
}

/**
 * The checklist items, in report order: pii, rls, contracts, idempotency, rate_limit, slo,
 * dataset, trace, and for a DR drill dr. An item can only pass on the evidence it carries: a
 * `pass` without any evidence value becomes a `fail`.
 */
export function buildChecklist(input: ChecklistInput): CheckItem[] {
  const drill = input.drill === undefined || input.drill === null ? [] : [drCheck(input.drill, input.run)];
  return [
    piiCheck(input),
    rlsCheck(input),
    contractsCheck(input),
    idempotencyCheck(input),
    rateLimitCheck(input),
    sloCheck(input),
    datasetCheck(input),
    traceCheck(input),
    ...drill,
  ]
    .map((item) => forOperation(item, input))
    .map((item) =>
      item.status === "pass" && !hasEvidence(item)
        ? { ...item, status: "fail" as const, summary: `no evidence was recorded for ${item.id}` }
        : item,
    );
}
