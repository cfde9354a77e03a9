import { type Sql, withTenant } from "../db/index.ts";
import { datasetDigest } from "@semente/core/determinism";
import { PURGE_ORDER } from "../lifecycle/purge.ts";
import type { Run } from "../runs/index.ts";
import type { ChecklistInput } from "./checklist.ts";
import type { CheckItem, ReportPurge } from "./report-types.ts";

/**
 * The purge phase of a purge or reseed run, as the report shows it: rows deleted per entity in
 * purge order (children first, then the checkpoints of the mode), from `seed.purge_progress` read
 * under the run's tenant, and — once the database closed the phase, which it does only when
 * nothing of the tenant is left — the digest of the now-empty data. Null for a seed run.
 */
export async function readPurge(sql: Sql, run: Run): Promise<ReportPurge | null> {
  if (run.operation === "seed") return null;
  const sums = await withTenant(
    sql,
    run.tenantId,
    (tx) => tx<{ entity: string; rows: string }[]>`
      select entity, sum(rows_deleted)::text as rows from seed.purge_progress where run_id = ${run.id} group by entity`,
    { readOnly: true },
  );
  const byEntity = new Map(sums.map((s) => [s.entity, Number(s.rows)]));
  const deleted = PURGE_ORDER.map((entity) => ({ entity, rows: byEntity.get(entity) ?? 0 }));
  return {
    mode: run.mode,
    rows_deleted: deleted.reduce((sum, d) => sum + d.rows, 0),
    deleted,
    completed_at: run.purgedAt?.toISOString() ?? null,
    digest_after: emptiedDigest(run.purgedAt),
  };
}

/** The digest of a purge run's data: of no data once the database closed the phase, else null. */
export function emptiedDigest(purgedAt: Date | null): string | null {
  return purgedAt === null ? null : datasetDigest([]);
}

function notApplicable(item: CheckItem, reason: string): CheckItem {
  return { id: item.id, status: "not_applicable", summary: reason, evidence: { reason } };
}

/** The dataset item of a purge run: the recorded digest is the digest of no data, once the phase closed. */
function purgeDataset(item: CheckItem, input: ChecklistInput, purge: ReportPurge): CheckItem {
  const { run, dataset } = input;
  const evidence = {
    digest: dataset.digest,
    recorded_digest: dataset.recorded_digest,
    rows_deleted: purge.rows_deleted,
    purge_completed_at: purge.completed_at,
    run_state: run.state,
  };
  if (run.state !== "completed") {
    return {
      ...item,
      status: "not_applicable",
      summary: `the purge ended ${run.state}: ${purge.rows_deleted} row(s) were deleted, the tenant's data is not known to be empty`,
      evidence: { ...evidence, reason: `run ${run.state}` },
    };
  }
  const ok = purge.digest_after !== null && dataset.recorded_digest === purge.digest_after;
  return {
    ...item,
    status: ok ? "pass" : "fail",
    summary: ok
      ? `the database closed the purge with nothing of the tenant left; ${purge.rows_deleted} row(s) deleted; the recorded digest is the digest of no data`
      : "the run completed but its purge phase is not closed, or its recorded digest is not the digest of no data",
    evidence,
  };
}

/**
 * Adjusts a checklist item to the run's operation. A purge generates nothing: SLO and
 * idempotency (about generated batches) do not apply, and the dataset item is about the emptied
 * data. A reseed's dataset item passes only when its purge phase was closed too. Items about rows
 * written (pii, contracts, rate limit) are already not applicable without checkpoints; the RLS
 * item keeps the preflight's verdict (the deletes ran as the data-plane role under RLS).
 */
export function forOperation(item: CheckItem, input: ChecklistInput): CheckItem {
  const purge = input.purge;
  if (input.run.operation === "seed" || purge === null || purge === undefined) return item;
  if (input.run.operation === "purge") {
    if (item.id === "slo") return notApplicable(item, "a purge generates no batch: the manifest SLO does not apply");
    if (item.id === "idempotency") {
      return notApplicable(
        item,
        "a purge writes no batch; its deletes are recorded once per chunk in seed.purge_progress",
      );
    }
    if (item.id === "dataset") return purgeDataset(item, input, purge);
    return item;
  }
  if (item.id !== "dataset" || item.status !== "pass") return item;
  const closed = purge.completed_at !== null;
  return {
    ...item,
    status: closed ? "pass" : "fail",
    summary: closed
      ? `${item.summary}; the purge phase before it deleted ${purge.rows_deleted} row(s) and left nothing`
      : "the reseed's purge phase was never closed",
    evidence: { ...item.evidence, rows_deleted: purge.rows_deleted, purge_completed_at: purge.completed_at },
  };
}
