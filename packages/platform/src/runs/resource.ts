import type { Run, RunResource } from "./types.ts";

/** Strong, opaque, quoted ETag of a run representation. */
export function runEtag(run: Pick<Run, "id" | "etagVersion">): string {
  return `"${run.id}-${run.etagVersion}"`;
}

export function toRunResource(run: Run): RunResource {
  return {
    id: run.id,
    environment: run.environment,
    tenant: run.tenantId,
    mode: run.mode,
    operation: run.operation,
    dry_run: run.dryRun,
    state: run.state,
    // PostgreSQL stores the bare hex; the API always names the algorithm, like validate does.
    manifest_hash: `sha256:${run.manifestHash}`,
    created_at: run.createdAt.toISOString(),
    updated_at: run.updatedAt.toISOString(),
    queued_until: run.queuedUntil === null ? null : run.queuedUntil.toISOString(),
    progress: {
      rows_planned: run.rowsPlanned,
      rows_written: run.rowsWritten,
      ...(run.operation === "seed" ? {} : { rows_deleted: run.rowsDeleted }),
    },
    dataset_digest: run.datasetDigest,
    reason: run.reason,
  };
}
