import { runTraces } from "../telemetry/run-traces.ts";
import { createHash } from "node:crypto";
import { type Sql, withTenant } from "../db/index.ts";
import { SementeError } from "@semente/core/errors";
import {
  type CostModel,
  ENTITIES,
  estimateCost,
  isManifest,
  type Manifest,
  parseTtlSeconds,
  plannedRows,
} from "@semente/core/manifest";
import { comparePlanOrder, runDatasetDigest } from "@semente/core/pipeline";
import { requireRun, type Run } from "../runs/index.ts";
import { type AuditFact, type BatchFact, buildChecklist, type CheckpointFact } from "./checklist.ts";
import {
  type LedgerFact,
  readLedger,
  readPauses,
  reconcile,
  reportLedger,
  reportPauses,
  runningSeconds,
} from "./governance.ts";
import { readPurge } from "./purge.ts";
import { classifyString } from "./scan.ts";
import {
  type BuildReportOptions,
  EVIDENCE_SCHEMA_VERSION,
  type EvidenceReport,
  type ReportBatch,
  type ReportCost,
  type ReportEntity,
} from "./types.ts";

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

/** Reads a run's checkpoints under its tenant (RLS), in plan order. */
export async function readCheckpoints(sql: Sql, run: Pick<Run, "id" | "tenantId">): Promise<CheckpointFact[]> {
  const rows = await withTenant(
    sql,
    run.tenantId,
    (tx) => tx<
      {
        entity: string;
        batch_index: number;
        from_ordinal: string;
        to_ordinal: string;
        row_count: string;
        digest: string;
        key_version: number;
        duration_ms: number | null;
        rows_validated: number | null;
      }[]
    >`select entity, batch_index, from_ordinal, to_ordinal, row_count, digest, key_version, duration_ms, rows_validated
      from seed.checkpoints where run_id = ${run.id}`,
    { readOnly: true },
  );
  return rows
    .map((r) => ({
      entity: r.entity,
      batchIndex: r.batch_index,
      fromOrdinal: Number(r.from_ordinal),
      toOrdinal: Number(r.to_ordinal),
      rowCount: Number(r.row_count),
      digest: r.digest,
      keyVersion: r.key_version,
      durationMs: r.duration_ms,
      rowsValidated: r.rows_validated,
    }))
    .sort(comparePlanOrder);
}

async function readBatches(sql: Sql, runId: string): Promise<BatchFact[]> {
  const rows = await sql<
    {
      entity: string;
      batch_index: number;
      level: number;
      from_ordinal: string;
      to_ordinal: string;
      state: string;
      attempts: number;
      row_count: string | null;
      digest: string | null;
      error_code: string | null;
    }[]
  >`select entity, batch_index, level, from_ordinal, to_ordinal, state, attempts, row_count, digest,
      last_error->>'code' as error_code
    from seed.batches where run_id = ${runId}`;
  return rows.map((r) => ({
    entity: r.entity,
    batchIndex: r.batch_index,
    level: r.level,
    fromOrdinal: Number(r.from_ordinal),
    toOrdinal: Number(r.to_ordinal),
    state: r.state,
    attempts: r.attempts,
    rowCount: r.row_count === null ? null : Number(r.row_count),
    digest: r.digest,
    errorCode: r.error_code,
  }));
}

async function readAudit(sql: Sql, runId: string): Promise<AuditFact[]> {
  return sql<
    AuditFact[]
  >`select action, outcome, reason, details from seed.audit_log where run_id = ${runId} order by id`;
}

/**
 * 429 answers the gateway audited (`reason = 'RATE_LIMITED'`) for the run's principal and tenant
 * from the run's creation to its end, plus any audit row of the run itself with that reason.
 */
async function readGateway429s(sql: Sql, run: Run): Promise<number> {
  const until = run.finishedAt ?? run.updatedAt;
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from seed.audit_log
     where reason = 'RATE_LIMITED'
       and (run_id = ${run.id}
            or (tenant_id = ${run.tenantId} and actor = ${run.principal} and at >= ${run.createdAt} and at <= ${until}))`;
  return row?.n ?? 0;
}

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;
const SECONDS_PER_MONTH = 30 * 24 * 3600;

function costOf(
  manifest: Manifest | null,
  model: CostModel | undefined,
  written: Map<string, number>,
  runningS: number | null,
): ReportCost {
  const empty: ReportCost = {
    currency: manifest?.budget.currency ?? null,
    budget: manifest?.budget.max_cost ?? null,
    estimated: null,
    measured: null,
    ratio: null,
    breakdown: null,
    note: null,
  };
  if (manifest === null) return { ...empty, note: "the run's manifest is not a valid v1 manifest" };
  if (model === undefined) return { ...empty, note: "no cost model configured" };
  if (model.currency !== manifest.budget.currency)
    return { ...empty, note: "budget currency differs from the cost model" };
  const estimated = estimateCost(manifest, model).total;
  const months = (parseTtlSeconds(manifest.ttl[manifest.mode]) ?? 0) / SECONDS_PER_MONTH;
  let rows = 0;
  let storage = 0;
  for (const entity of ENTITIES) {
    const n = written.get(entity) ?? 0;
    rows += (n / 1000) * model.entities[entity].per_1k_rows;
    storage += ((n * model.entities[entity].avg_row_bytes) / 1e9) * months * model.storage.per_gb_month;
  }
  const compute = ((runningS ?? 0) / 60) * model.compute.per_minute;
  const evidence = model.evidence.per_report;
  const measured = round6(rows + storage + compute + evidence);
  return {
    ...empty,
    estimated,
    measured,
    ratio: round6(measured / manifest.budget.max_cost),
    breakdown: { rows: round6(rows), storage: round6(storage), evidence: round6(evidence), compute: round6(compute) },
    note: runningS === null ? "compute not measured: the run has no start or end time" : null,
  };
}

/** The cost with the ledger the planner accrued and the reconciliation of the figures. */
function reconciledCost(
  cost: ReportCost,
  ledger: readonly LedgerFact[],
  model: CostModel | undefined,
  pausedS: number,
): ReportCost {
  const fromLedger = reportLedger(ledger, model?.evidence.per_report ?? 0);
  return { ...cost, ledger: fromLedger, reconciliation: reconcile(cost, fromLedger, pausedS) };
}

const sha256Ref = (hex: string | null): string | null =>
  hex === null ? null : `sha256:${hex.replace(/^sha256:/, "")}`;
const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** The principal as the report may show it: a subject that looks like PII becomes its `sha256:` pseudonym. */
function reportPrincipal(principal: string): string {
  return classifyString(principal).length === 0
    ? principal
    : `sha256:${createHash("sha256").update(principal, "utf8").digest("hex")}`;
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
  const manifest = isManifest(run.manifest) ? run.manifest : null;
  const planned = manifest === null ? null : plannedRows(manifest);
  const durationS =
    run.startedAt !== null && run.finishedAt !== null
      ? Math.max(0, (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000)
      : null;

  const running = runningSeconds(run.startedAt, run.finishedAt, pauses);

  const written = new Map<string, number>();
  const batchCounts = new Map<string, number>();
  for (const c of checkpoints) {
    written.set(c.entity, (written.get(c.entity) ?? 0) + c.rowCount);
    batchCounts.set(c.entity, (batchCounts.get(c.entity) ?? 0) + 1);
  }
  const entityNames = [...new Set([...ENTITIES.filter((e) => (planned?.perEntity[e] ?? 0) > 0), ...written.keys()])];
  const entities: ReportEntity[] = entityNames
    .sort((a, b) => comparePlanOrder({ entity: a, batchIndex: 0 }, { entity: b, batchIndex: 0 }))
    .map((entity) => ({
      entity,
      rows_planned: planned === null ? null : (planned.perEntity[entity as keyof typeof planned.perEntity] ?? 0),
      rows_written: written.get(entity) ?? 0,
      batches: batchCounts.get(entity) ?? 0,
    }));

  const byKey = new Map<string, ReportBatch>();
  for (const b of batches) {
    byKey.set(`${b.entity}/${b.batchIndex}`, {
      entity: b.entity,
      batch_index: b.batchIndex,
      level: b.level,
      from_ordinal: b.fromOrdinal,
      to_ordinal: b.toOrdinal,
      state: b.state,
      attempts: b.attempts,
      row_count: b.rowCount,
      digest: sha256Ref(b.digest),
      duration_ms: null,
    });
  }
  for (const c of checkpoints) {
    const key = `${c.entity}/${c.batchIndex}`;
    const existing = byKey.get(key);
    byKey.set(key, {
      entity: c.entity,
      batch_index: c.batchIndex,
      level: existing?.level ?? null,
      from_ordinal: c.fromOrdinal,
      to_ordinal: c.toOrdinal,
      state: existing?.state ?? "committed",
      attempts: existing?.attempts ?? 1,
      row_count: c.rowCount,
      digest: sha256Ref(c.digest),
      duration_ms: c.durationMs,
    });
  }
  const reportBatches = [...byKey.values()].sort((a, b) =>
    comparePlanOrder({ entity: a.entity, batchIndex: a.batch_index }, { entity: b.entity, batchIndex: b.batch_index }),
  );

  // A purge's data is the tenant's emptied data: its digest once the database closed the phase.
  const digest = run.operation === "purge" ? (purge?.digest_after ?? null) : recomputeDatasetDigest(checkpoints);
  const recorded = sha256Ref(run.datasetDigest);
  // Spans recorded in seed.run_traces (gateway request/admission, planner run, evidence build)
  // of the run's own trace, then any audit row's span id.
  const spanIds = [
    ...new Set(
      [
        ...traces.filter((t) => t.traceId === run.traceId).map((t) => t.spanId),
        ...audit.map((a) => a.details?.span_id),
      ].filter((s): s is string => typeof s === "string" && /^[0-9a-f]{16}$/.test(s)),
    ),
  ];
  const rowsWritten = checkpoints.reduce((sum, c) => sum + c.rowCount, 0);
  const batchesPlanned =
    manifest === null || planned === null
      ? reportBatches.length
      : ENTITIES.reduce((sum, e) => sum + Math.ceil(planned.perEntity[e] / manifest.batch_size), 0);

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
      run.operation === "purge"
        ? { ...costOf(null, undefined, written, null), note: "a purge has no manifest: no budget or cost estimate" }
        : costOf(manifest, options.costModel, written, running.runningS),
      ledger,
      options.costModel,
      running.pausedS,
    ),
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
      purge,
    }),
  };
}
