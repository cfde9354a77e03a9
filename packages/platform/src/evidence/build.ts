import { type RunTrace, runTraces } from "../telemetry/run-traces.ts";
import { createHash } from "node:crypto";
import { SementeError } from "@semente/core/errors";
import { batchCount, type CostModel, isManifest, type Manifest, plannedRows } from "@semente/core/manifest";
import { runDatasetDigest } from "@semente/core/pipeline";
import { requireRun, type Run } from "../runs/index.ts";
import { buildChecklist } from "./checklist.ts";
import { readLedger, readPauses, reportPauses, runningSeconds } from "./governance.ts";
import { costOf, reconciledCost } from "./cost.ts";
import { type AuditFact, readAudit, readBatches, readCheckpoints, readGateway429s } from "./facts.ts";
import { readDrillEvidence, reportDr } from "./drill.ts";
import { readPurge } from "./purge.ts";
import { reportBatchList, reportEntities, sha256Ref, writtenRows } from "./report-parts.ts";
import { classifyString } from "./scan.ts";
import { EVIDENCE_SCHEMA_VERSION, type EvidenceReport, type ReportCost } from "./report-types.ts";
import type { BuildReportOptions } from "./types.ts";

/** Run states that get a report (the run ended after admission). */
export const REPORTABLE_STATES: ReadonlySet<string> = new Set(["completed", "failed", "aborted", "cancelled"]);

/**
 * The dataset digest of a run from its checkpoints: {@link runDatasetDigest}, the one definition the
 * planner records in `seed.runs.dataset_digest`. Returns `sha256:<hex>`, or null without checkpoints.
 */
export function recomputeDatasetDigest(
  checkpoints: readonly { entity: string; batchIndex: number; digest: string }[],
): string | null {
  return runDatasetDigest(checkpoints);
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** The principal as the report may show it: a subject that looks like PII becomes its `sha256:` pseudonym. */
function reportPrincipal(principal: string): string {
  return classifyString(principal).length === 0
    ? principal
    : `sha256:${createHash("sha256").update(principal, "utf8").digest("hex")}`;
}

/** Seconds from start to finish, or null when the run has no start or end time. */
function durationOf(run: Run): number | null {
  return run.startedAt !== null && run.finishedAt !== null
    ? Math.max(0, (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000)
    : null;
}

/**
 * Spans recorded in seed.run_traces (gateway request/admission, planner run, evidence build) of
 * the run's own trace, then any audit row's span id.
 */
function spanIdsOf(run: Run, traces: readonly RunTrace[], audit: readonly AuditFact[]): string[] {
  return [
    ...new Set(
      [
        ...traces.filter((t) => t.traceId === run.traceId).map((t) => t.spanId),
        ...audit.map((a) => a.details?.span_id),
      ].filter((s): s is string => typeof s === "string" && /^[0-9a-f]{16}$/.test(s)),
    ),
  ];
}

/** The cost section before reconciliation: a purge has no manifest, so no budget or estimate. */
function runCost(
  run: Run,
  manifest: Manifest | null,
  model: CostModel | undefined,
  written: Map<string, number>,
  runningS: number | null,
): ReportCost {
  return run.operation === "purge"
    ? { ...costOf(null, undefined, written, null), note: "a purge has no manifest: no budget or cost estimate" }
    : costOf(manifest, model, written, runningS);
}

/**
 * Builds the evidence report of a terminal run from `seed.runs`, `seed.batches`,
 * `seed.checkpoints` (read under the run's tenant), `seed.audit_log` and the run's manifest.
 *
 * Audit rows it reads (by `run_id`): `preflight.*` with `details.checks` (`PreflightResult`) and
 * `details.rls` (`RlsRecord`) for the RLS item; `reason = 'CONTRACT_VIOLATION'` counts as a
 * contract violation; any `details.span_id` (16 hex) is listed in `trace.span_ids`, after the
 * run's spans in `seed.run_traces`. Rows with `reason = 'RATE_LIMITED'` of the run's principal and
 * tenant during the run are its 429s. Checkpoint `rows_validated` feeds the contracts item,
 * `duration_ms` the SLO.
 * Throws `NOT_FOUND` for an unknown run and `INVALID_STATE` for a run that has not ended.
 */
export async function buildReport(options: BuildReportOptions): Promise<EvidenceReport> {
  const { sql } = options;
  const now = options.now ?? (() => new Date()); // clock-ok: evidence records real time, not generated data
  const run = await requireRun(sql, options.runId);
  if (!REPORTABLE_STATES.has(run.state)) {
    throw new SementeError("INVALID_STATE", `run ${run.id} is ${run.state}; evidence is produced once it has ended`, {
      extensions: { state: run.state },
    });
  }
  const [checkpoints, batches, audit, gateway429s, traces, pauses, ledger, purge] = await Promise.all([
    readCheckpoints(sql, run),
    readBatches(sql, run.id),
    readAudit(sql, run.id),
    readGateway429s(sql, run),
    runTraces(sql, run.id),
    readPauses(sql, run.id),
    readLedger(sql, run.id),
    readPurge(sql, run),
  ]);
  const drill = await readDrillEvidence(sql, run, checkpoints);
  const manifest = isManifest(run.manifest) ? run.manifest : null;
  const planned = manifest === null ? null : plannedRows(manifest);
  const durationS = durationOf(run);

  const running = runningSeconds(run.startedAt, run.finishedAt, pauses);

  const written = writtenRows(checkpoints);
  const entities = reportEntities(planned?.perEntity ?? null, checkpoints);
  const reportBatches = reportBatchList(batches, checkpoints);

  // A purge's data is the tenant's emptied data: its digest once the database closed the phase.
  const digest = run.operation === "purge" ? (purge?.digest_after ?? null) : recomputeDatasetDigest(checkpoints);
  const recorded = sha256Ref(run.datasetDigest);
  const spanIds = spanIdsOf(run, traces, audit);
  const rowsWritten = checkpoints.reduce((sum, c) => sum + c.rowCount, 0);
  const batchesPlanned = manifest === null ? reportBatches.length : batchCount(manifest);

  const dataset = { digest, recorded_digest: recorded, checkpoints: checkpoints.length };
  const trace = { trace_id: run.traceId, span_ids: spanIds };
  return {
    schema_version: EVIDENCE_SCHEMA_VERSION,
    labels: { tenant: run.tenantId, environment: run.environment, run_id: run.id },
    run: {
      id: run.id,
      tenant: run.tenantId,
      environment: run.environment,
      mode: run.mode,
      operation: run.operation,
      dry_run: run.dryRun,
      state: run.state,
      reason_code: run.reason?.code ?? null,
      manifest_hash: sha256Ref(run.manifestHash) as string,
      manifest_version: run.manifestVersion,
      reference_datetime: run.referenceDatetime.toISOString(),
      key_version: run.keyVersion,
      principal: reportPrincipal(run.principal),
    },
    timestamps: {
      created_at: run.createdAt.toISOString(),
      started_at: iso(run.startedAt),
      finished_at: iso(run.finishedAt),
      generated_at: now().toISOString(),
    },
    trace,
    entities,
    batches: reportBatches,
    dataset: {
      digest,
      recorded_digest: recorded,
      matches_recorded: digest !== null && digest === recorded,
      checkpoints: checkpoints.length,
    },
    volumes: {
      rows_planned: planned?.total ?? run.rowsPlanned,
      rows_written: rowsWritten,
      batches_planned: batchesPlanned,
      batches_committed: checkpoints.length,
    },
    pauses: reportPauses(pauses),
    ...(purge === null ? {} : { purge }),
    cost: reconciledCost(
      runCost(run, manifest, options.costModel, written, running.runningS),
      ledger,
      options.costModel,
      running.pausedS,
    ),
    ...(drill === null ? {} : { dr: reportDr(drill) }),
    checklist: buildChecklist({
      run,
      manifest,
      checkpoints,
      batches,
      audit,
      durationS,
      gateway429s,
      dataset,
      trace,
      drill,
      purge,
    }),
  };
}
