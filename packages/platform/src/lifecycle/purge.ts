import { appendAudit, BANKING_TABLES, DbRole, type TransactionSql } from "../db/index.ts";
import { datasetDigest } from "@semente/core/determinism";
import { SementeError } from "@semente/core/errors";
import { CHECKPOINTS_ENTITY, type PurgeEntity, type PurgeOptions, type PurgeResult } from "./types.ts";

/** Children before parents: the reverse of the banking tables' FK order, then the checkpoints. */
export const PURGE_ORDER: readonly PurgeEntity[] = [...[...BANKING_TABLES].reverse(), CHECKPOINTS_ENTITY];

const DEFAULT_CHUNK_ROWS = 20_000;

function relation(entity: PurgeEntity): string {
  return entity === CHECKPOINTS_ENTITY ? "seed.checkpoints" : `banking.${entity}`;
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
    const [bound] = await tx<{ tenant: string }[]>`select seed.bind_run_tenant(${runId}) as tenant`;
    if (bound?.tenant !== tenantId)
      throw new SementeError("FORBIDDEN", `run ${runId} does not belong to tenant ${tenantId}`);
    const sums = await tx<{ entity: PurgeEntity; rows: string }[]>`
      select entity, sum(rows_deleted)::text as rows from seed.purge_progress where run_id = ${runId} group by entity`;
    const deleted = Object.fromEntries(PURGE_ORDER.map((e) => [e, 0])) as Record<PurgeEntity, number>;
    for (const s of sums) deleted[s.entity] = Number(s.rows);
    const remaining = Object.fromEntries(PURGE_ORDER.map((e) => [e, 0])) as Record<PurgeEntity, number>;
    for (const entity of PURGE_ORDER) {
      const scope =
        entity === CHECKPOINTS_ENTITY ? tx`environment = ${options.environment} and mode = ${options.mode}` : tx`true`;
      const [row] = await tx<{ n: string }[]>`select count(*)::text as n from ${tx(relation(entity))} where ${scope}`;
      remaining[entity] = Number(row?.n ?? 0);
    }
    return { deleted, remaining };
  }) as Promise<Pick<PurgeResult, "deleted" | "remaining">>;
}

/**
 * Deletes every row of the run's tenant, children before parents, in chunks of `chunkRows`, each
 * chunk one transaction of the data-plane role bound to the purge run (RLS: no other tenant is
 * visible, and only a purge binding may delete), recorded in `seed.purge_progress` with its
 * delete. Then clears the tenant's checkpoints of the run's environment and mode. Idempotent and
 * resumable: a second call after a crash deletes what is left and reports the totals of both.
 * Audited (`purge.complete`). Throws `INTERNAL` if a row is left (a concurrent writer).
 */
export async function purgeTenant(options: PurgeOptions): Promise<PurgeResult> {
  const limit = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  if (!Number.isInteger(limit) || limit < 1) throw new SementeError("INTERNAL", "chunkRows must be a positive integer");
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
  const { deleted, remaining } = await tally(options);
  const left = PURGE_ORDER.filter((e) => remaining[e] > 0);
  if (left.length > 0) {
    throw new SementeError("INTERNAL", `purge left rows of ${options.tenantId} in ${left.join(", ")}`, {
      extensions: { remaining },
    });
  }
  const rowsDeleted = PURGE_ORDER.reduce((total, e) => total + deleted[e], 0);
  const result: PurgeResult = { deleted, rowsDeleted, remaining, datasetDigest: datasetDigest([]) };
  await appendAudit(options.sql, {
    actor: DbRole.SEEDER,
    action: "purge.complete",
    outcome: "success",
    tenantId: options.tenantId,
    environment: options.environment,
    runId: options.runId,
    details: { mode: options.mode, rows_deleted: rowsDeleted, deleted, dataset_digest: result.datasetDigest },
  });
  return result;
}
