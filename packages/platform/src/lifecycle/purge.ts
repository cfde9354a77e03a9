import { appendAudit, BANKING_TABLES, DbRole, type Sql, type TransactionSql } from "../db/index.ts";
import { datasetDigest } from "@semente/core/determinism";
import { SementeError } from "@semente/core/errors";
import { CHECKPOINTS_ENTITY, type PurgeEntity, type PurgeOptions, type PurgeResult } from "./types.ts";

/** Children before parents: the reverse of the banking tables' FK order, then the checkpoints. */
export const PURGE_ORDER: readonly PurgeEntity[] = [...[...BANKING_TABLES].reverse(), CHECKPOINTS_ENTITY];

const DEFAULT_CHUNK_ROWS = 20_000;

function relation(entity: PurgeEntity): string {
  return entity === CHECKPOINTS_ENTITY ? "seed.checkpoints" : `banking.${entity}`;
}

async function bindRun(tx: TransactionSql, runId: string, tenantId: string): Promise<void> {
  const [bound] = await tx<{ tenant: string }[]>`select seed.bind_run_tenant(${runId}) as tenant`;
  if (bound?.tenant !== tenantId)
    throw new SementeError("FORBIDDEN", `run ${runId} does not belong to tenant ${tenantId}`);
}

async function sumDeleted(tx: TransactionSql, runId: string): Promise<Record<PurgeEntity, number>> {
  const sums = await tx<{ entity: PurgeEntity; rows: string }[]>`
    select entity, sum(rows_deleted)::text as rows from seed.purge_progress where run_id = ${runId} group by entity`;
  const deleted = zeros();
  for (const s of sums) deleted[s.entity] = Number(s.rows);
  return deleted;
}

async function bindPurge(tx: TransactionSql, runId: string, tenantId: string): Promise<void> {
  const [bound] = await tx<{ tenant: string }[]>`select seed.bind_purge_tenant(${runId}) as tenant`;
  if (bound?.tenant !== tenantId)
    throw new SementeError("FORBIDDEN", `run ${runId} does not belong to tenant ${tenantId}`);
}

/**
 * Deletes up to `limit` of the tenant's rows of one entity found at or after heap block `fromBlock`
 * and records the chunk, in one transaction bound to the purge run. Returns the rows deleted and
 * the last heap block they were in (where the next chunk starts).
 */
async function deleteChunk(
  options: PurgeOptions,
  entity: PurgeEntity,
  limit: number,
  fromBlock: number,
): Promise<{ rows: number; lastBlock: number }> {
  const { runId, tenantId } = options;
  return options.sql.begin(async (tx) => {
    await bindPurge(tx, runId, tenantId);
    const rel = relation(entity);
    const scope =
      entity === CHECKPOINTS_ENTITY
        ? tx`tenant_id = ${tenantId} and environment = ${options.environment} and mode = ${options.mode}`
        : tx`tenant_id = ${tenantId}`;
    // The lookup starts at the block where the previous chunk stopped (a TID range scan), so the
    // dead tuples of earlier chunks are not scanned again; ctid = ANY(ARRAY(…)) is a TID scan.
    const [done] = await tx<{ rows: string; last_block: string | null }[]>`
      with gone as (
        delete from ${tx(rel)}
         where ctid = any(array(select ctid from ${tx(rel)}
                                 where ctid >= ${`(${fromBlock},0)`}::tid and ${scope} limit ${limit}))
        returning ctid)
      select count(*)::text as rows, max((ctid::text::point)[0])::bigint::text as last_block from gone`;
    const rows = Number(done?.rows ?? 0);
    if (rows > 0) {
      await tx`
        insert into seed.purge_progress (run_id, tenant_id, entity, chunk, rows_deleted)
        select ${runId}, ${tenantId}, ${entity}, coalesce(max(chunk) + 1, 0), ${rows}
          from seed.purge_progress where run_id = ${runId} and entity = ${entity}`;
    }
    return { rows, lastBlock: done?.last_block === null || done === undefined ? fromBlock : Number(done.last_block) };
  }) as Promise<{ rows: number; lastBlock: number }>;
}

/** Rows deleted per entity over every attempt of the run, and rows of the tenant left. */
async function tally(options: PurgeOptions): Promise<Pick<PurgeResult, "deleted" | "remaining">> {
  const { runId, tenantId } = options;
  return options.sql.begin("read only", async (tx) => {
    await bindRun(tx, runId, tenantId);
    const deleted = await sumDeleted(tx, runId);
    const remaining = zeros();
    for (const entity of PURGE_ORDER) {
      const scope =
        entity === CHECKPOINTS_ENTITY ? tx`environment = ${options.environment} and mode = ${options.mode}` : tx`true`;
      const [row] = await tx<{ n: string }[]>`select count(*)::text as n from ${tx(relation(entity))} where ${scope}`;
      remaining[entity] = Number(row?.n ?? 0);
    }
    return { deleted, remaining };
  }) as Promise<Pick<PurgeResult, "deleted" | "remaining">>;
}

/** When the run's purge phase ended, or null while it is open (`seed.purge_completed_at`). */
export async function purgeCompletedAt(sql: Sql, runId: string): Promise<Date | null> {
  const [row] = await sql<{ at: Date | null }[]>`select seed.purge_completed_at(${runId}) as at`;
  return row?.at ?? null;
}

/**
 * Closes the run's purge phase (`seed.complete_purge`, in a transaction bound to the purge): the
 * database refuses while a row of the tenant or a checkpoint of the mode is left, then records
 * `purged_at` and the rows deleted. From then on the run's purge binding deletes nothing.
 */
async function completePurge(options: PurgeOptions): Promise<void> {
  await options.sql.begin(async (tx) => {
    await bindPurge(tx, options.runId, options.tenantId);
    await tx`select seed.complete_purge(${options.runId})`;
  });
}

function zeros(): Record<PurgeEntity, number> {
  return Object.fromEntries(PURGE_ORDER.map((e) => [e, 0])) as Record<PurgeEntity, number>;
}

function resultOf(deleted: Record<PurgeEntity, number>, remaining: Record<PurgeEntity, number>, already: boolean) {
  const rowsDeleted = PURGE_ORDER.reduce((total, e) => total + deleted[e], 0);
  return { deleted, rowsDeleted, remaining, datasetDigest: datasetDigest([]), alreadyComplete: already };
}

/** The rows the run deleted per entity, as `seed.purge_progress` recorded them (read bound to the run). */
async function deletedSoFar(options: PurgeOptions): Promise<Record<PurgeEntity, number>> {
  return options.sql.begin("read only", async (tx) => {
    await bindRun(tx, options.runId, options.tenantId);
    return sumDeleted(tx, options.runId);
  }) as Promise<Record<PurgeEntity, number>>;
}

/** Deletes every chunk of every entity, children first. */
async function deleteAll(options: PurgeOptions, limit: number): Promise<void> {
  for (const entity of PURGE_ORDER) {
    // The planner may return a chunk's rows in index order rather than block order, so a cursor
    // past some rows is possible: the entity is done only when a lookup from block 0 comes back short.
    let block = 0;
    for (;;) {
      const chunk = await deleteChunk(options, entity, limit, block);
      if (chunk.rows > 0) await options.onChunk?.(entity, chunk.rows);
      if (chunk.rows < limit) {
        if (block === 0) break;
        block = 0;
      } else {
        block = chunk.lastBlock;
      }
    }
  }
}

/**
 * Deletes every row of the run's tenant, children before parents, in chunks of `chunkRows`, each
 * chunk one transaction of the data-plane role bound to the purge run (RLS: no other tenant is
 * visible, and only a purge binding may delete), recorded in `seed.purge_progress` with its
 * delete. Then clears the tenant's checkpoints of the run's environment and mode, and closes the
 * run's purge phase (`seed.complete_purge`). Idempotent and resumable: a second call after a
 * crash deletes what is left and reports the totals of both; a call once the phase is closed
 * deletes nothing and reports the totals (`alreadyComplete`). Audited (`purge.complete`, once).
 * Throws `INTERNAL` if a row is left (a concurrent writer).
 */
export async function purgeTenant(options: PurgeOptions): Promise<PurgeResult> {
  const limit = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  if (!Number.isInteger(limit) || limit < 1) throw new SementeError("INTERNAL", "chunkRows must be a positive integer");
  if ((await purgeCompletedAt(options.sql, options.runId)) !== null) {
    return resultOf(await deletedSoFar(options), zeros(), true);
  }
  await deleteAll(options, limit);
  const { deleted, remaining } = await tally(options);
  const left = PURGE_ORDER.filter((e) => remaining[e] > 0);
  if (left.length > 0) {
    // Closed meanwhile by another delivery of the same purge: what is left is the reseed's new data.
    if ((await purgeCompletedAt(options.sql, options.runId)) !== null) return resultOf(deleted, zeros(), true);
    throw new SementeError("INTERNAL", `purge left rows of ${options.tenantId} in ${left.join(", ")}`, {
      extensions: { remaining },
    });
  }
  await completePurge(options);
  const result: PurgeResult = resultOf(deleted, remaining, false);
  await appendAudit(options.sql, {
    actor: DbRole.SEEDER,
    action: "purge.complete",
    outcome: "success",
    tenantId: options.tenantId,
    environment: options.environment,
    runId: options.runId,
    details: {
      mode: options.mode,
      rows_deleted: result.rowsDeleted,
      deleted,
      dataset_digest: result.datasetDigest,
    },
  });
  return result;
}
