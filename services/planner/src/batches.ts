import { purgesThenSeeds } from "@semente/platform/lifecycle";
import { type Sql, withTenant } from "@semente/platform/db";
import type { Entity } from "@semente/core/manifest";
import {
  type BatchPlan,
  BatchState,
  type CheckpointMessage,
  createRunProgress,
  digestHex,
  type PlannedBatch,
  type RunProgress,
  type TrackedBatch,
} from "@semente/core/pipeline";
import type { Run } from "@semente/platform/runs";

interface BatchRow {
  entity: Entity;
  batch_index: number;
  level: number;
  from_ordinal: string;
  to_ordinal: string;
  state: string;
  row_count: string | null;
  digest: string | null;
}

interface CheckpointRow {
  run_id: string;
  entity: string;
  batch_index: number;
  from_ordinal: string;
  to_ordinal: string;
  row_count: string;
  digest: string;
}

/**
 * Checkpoints an earlier run of the same manifest committed: same tenant, environment, mode and
 * manifest hash, same entity, batch index and ordinal range. Because the plan is a pure function
 * of the manifest, such a batch holds exactly the rows this run would write (resume).
 */
export async function reusableCheckpoints(sql: Sql, run: Run): Promise<CheckpointRow[]> {
  return withTenant(
    sql,
    run.tenantId,
    (tx) => tx<CheckpointRow[]>`
      SELECT DISTINCT ON (entity, batch_index)
             run_id, entity, batch_index, from_ordinal::text, to_ordinal::text, row_count::text, digest
        FROM seed.checkpoints
       WHERE tenant_id = ${run.tenantId} AND environment = ${run.environment} AND mode = ${run.mode}
         AND manifest_hash = ${run.manifestHash} AND run_id <> ${run.id}
       ORDER BY entity, batch_index, committed_at`,
    { readOnly: true },
  );
}

/**
 * This run's own checkpoints (the source of truth of its progress): all of them, or only those of
 * `batches`, by primary key, so that a reconcile pass reads the batches it is waiting for and not
 * every checkpoint the run has.
 */
export async function runCheckpoints(
  sql: Sql,
  run: Run,
  batches?: readonly { entity: string; batchIndex: number }[],
): Promise<CheckpointRow[]> {
  if (batches?.length === 0) return [];
  return withTenant(
    sql,
    run.tenantId,
    (tx) => tx<CheckpointRow[]>`
      SELECT run_id, entity, batch_index, from_ordinal::text, to_ordinal::text, row_count::text, digest
        FROM seed.checkpoints
       WHERE run_id = ${run.id}
         ${
           batches === undefined
             ? tx``
             : tx`AND (entity, batch_index) IN (SELECT * FROM unnest(${batches.map((b) => b.entity)}::text[],
                                                                  ${batches.map((b) => b.batchIndex)}::int[]))`
         }`,
    { readOnly: true },
  );
}

/**
 * Writes the plan into seed.batches (idempotent) and marks the batches an earlier run of the same
 * manifest already committed, naming that run in `reused_from_run`. Returns how many were reused.
 */
export async function insertPlan(sql: Sql, run: Run, plan: BatchPlan): Promise<number> {
  // A reseed (or a DR drill) purges the tenant's checkpoints of the mode before it writes: nothing to reuse.
  const reusable = run.dryRun || purgesThenSeeds(run.operation) ? [] : await reusableCheckpoints(sql, run);
  const byKey = new Map(reusable.map((c) => [`${c.entity}:${c.batch_index}`, c]));
  let reused = 0;
  await sql.begin(async (tx) => {
    const chunk = 1_000;
    for (let i = 0; i < plan.batches.length; i += chunk) {
      const part = plan.batches.slice(i, i + chunk);
      await tx`
        INSERT INTO seed.batches (run_id, entity, batch_index, level, from_ordinal, to_ordinal, state)
        SELECT ${run.id}, e, b, l, f, t, 'pending'
          FROM unnest(${part.map((b) => b.entity)}::text[], ${part.map((b) => b.batchIndex)}::int[],
                      ${part.map((b) => b.level)}::int[], ${part.map((b) => b.from)}::bigint[],
                      ${part.map((b) => b.to)}::bigint[]) AS u(e, b, l, f, t)
        ON CONFLICT (run_id, entity, batch_index) DO NOTHING`;
    }
    for (const b of plan.batches) {
      const c = byKey.get(`${b.entity}:${b.batchIndex}`);
      if (c === undefined || Number(c.from_ordinal) !== b.from || Number(c.to_ordinal) !== b.to) continue;
      await tx`
        UPDATE seed.batches
           SET state = 'committed', digest = ${c.digest}, row_count = ${c.row_count}, reused_from_run = ${c.run_id},
               committed_at = now(), updated_at = now()
         WHERE run_id = ${run.id} AND entity = ${b.entity} AND batch_index = ${b.batchIndex} AND state <> 'committed'`;
      reused++;
    }
  });
  return reused;
}

/** The run's progress as seed.batches records it. */
export async function loadProgress(sql: Sql, runId: string, plan: BatchPlan): Promise<RunProgress> {
  const progress = createRunProgress(plan);
  const rows = await sql<BatchRow[]>`
    SELECT entity, batch_index, level, from_ordinal::text, to_ordinal::text, state, row_count::text, digest
      FROM seed.batches WHERE run_id = ${runId}`;
  for (const r of rows) {
    if (r.state === BatchState.COMMITTED && r.digest !== null) {
      progress.commit(r.entity, r.batch_index, r.digest, Number(r.row_count ?? 0));
    } else if (r.state === BatchState.DEAD_LETTERED) {
      progress.markDeadLettered(r.entity, r.batch_index);
    } else if (r.state === BatchState.PUBLISHED || r.state === "running" || r.state === "failed") {
      const b = progress.get(r.entity, r.batch_index);
      if (b !== undefined) progress.markPublished(b);
    }
  }
  return progress;
}

export async function markPublished(sql: Sql, runId: string, batch: PlannedBatch): Promise<void> {
  await sql`
    UPDATE seed.batches SET state = 'published', published_at = now(), updated_at = now()
     WHERE run_id = ${runId} AND entity = ${batch.entity} AND batch_index = ${batch.batchIndex} AND state = 'pending'`;
}

export async function markCommitted(
  sql: Sql,
  runId: string,
  batch: { entity: string; batchIndex: number },
  digest: string,
  rows: number,
): Promise<void> {
  await sql`
    UPDATE seed.batches
       SET state = 'committed', digest = ${digestHex(digest)}, row_count = ${rows}, committed_at = now(), updated_at = now()
     WHERE run_id = ${runId} AND entity = ${batch.entity} AND batch_index = ${batch.batchIndex} AND state <> 'committed'`;
}

export async function markDeadLettered(
  sql: Sql,
  runId: string,
  batch: { entity: string; batchIndex: number },
  lastError: unknown,
): Promise<void> {
  await sql`
    UPDATE seed.batches SET state = 'dead_lettered', last_error = ${sql.json((lastError ?? null) as never)}, updated_at = now()
     WHERE run_id = ${runId} AND entity = ${batch.entity} AND batch_index = ${batch.batchIndex} AND state <> 'committed'`;
}

/** Records a failed attempt a seeder reported (the DLQ record carries the last one). */
export async function recordFailure(
  sql: Sql,
  runId: string,
  batch: { entity: string; batchIndex: number },
  attempt: number,
  lastError: unknown,
): Promise<void> {
  await sql`
    UPDATE seed.batches SET attempts = GREATEST(attempts, ${attempt}), last_error = ${sql.json(lastError as never)},
           updated_at = now()
     WHERE run_id = ${runId} AND entity = ${batch.entity} AND batch_index = ${batch.batchIndex}`;
}

/** The last failure recorded for a batch, if any. */
export async function lastFailure(sql: Sql, runId: string, entity: string, batchIndex: number): Promise<unknown> {
  const rows = await sql<{ last_error: unknown }[]>`
    SELECT last_error FROM seed.batches WHERE run_id = ${runId} AND entity = ${entity} AND batch_index = ${batchIndex}`;
  return rows[0]?.last_error ?? null;
}

/** A batch a reconcile pass marked committed. */
export interface NewlyCommitted {
  entity: Entity;
  batchIndex: number;
  rows: number;
}

/**
 * One pass of reconciliation: marks committed every batch whose checkpoint (or dry-run commit)
 * arrived, and returns the run's progress and the batches this pass committed. Only the batches
 * that may have a checkpoint are looked up: those published (in flight, or published just before
 * a restart) and those dead-lettered (a DLQ replay commits them behind the planner's back). A
 * batch still pending was never published, or its publication was not recorded: it is released
 * again and its seeder finds the checkpoint, so it is seen once it is in flight.
 */
export async function reconcile(
  sql: Sql,
  run: Run,
  plan: BatchPlan,
  takeDryCommits: () => CheckpointMessage[],
): Promise<{ progress: RunProgress; committed: NewlyCommitted[] }> {
  const before = await loadProgress(sql, run.id, plan);
  const committed: NewlyCommitted[] = [];
  const commit = async (b: TrackedBatch, digest: string, rows: number) => {
    await markCommitted(sql, run.id, b, digest, rows);
    committed.push({ entity: b.entity, batchIndex: b.batchIndex, rows });
  };
  if (run.dryRun) {
    for (const m of takeDryCommits()) {
      const b = before.get(m.entity, m.batchIndex);
      if (b !== undefined && b.state !== BatchState.COMMITTED) await commit(b, m.digest, m.rows);
    }
  } else {
    const awaited = before.batches.filter(
      (b) => b.state === BatchState.PUBLISHED || b.state === BatchState.DEAD_LETTERED,
    );
    for (const c of await runCheckpoints(sql, run, awaited)) {
      const b = before.get(c.entity, c.batch_index);
      if (b !== undefined && b.state !== BatchState.COMMITTED) await commit(b, c.digest, Number(c.row_count));
    }
  }
  return { progress: committed.length === 0 ? before : await loadProgress(sql, run.id, plan), committed };
}

/** Mirrors the rows committed so far on the running run. */
export async function updateRowsWritten(sql: Sql, runId: string, rows: number): Promise<void> {
  await sql`
    UPDATE seed.runs SET rows_written = ${rows}, updated_at = now(), etag_version = etag_version + 1
     WHERE id = ${runId} AND state = 'running' AND rows_written <> ${rows}`;
}
