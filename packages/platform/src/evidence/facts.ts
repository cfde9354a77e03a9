import { type Sql, withTenant } from "../db/index.ts";
import { comparePlanOrder } from "@semente/core/pipeline";
import type { Run } from "../runs/index.ts";

// What the evidence builder reads from PostgreSQL about one run (every read, no report logic).

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
  /** Rows the seeder validated against their entity contract; null when not recorded. */
  rowsValidated: number | null;
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

export async function readBatches(sql: Sql, runId: string): Promise<BatchFact[]> {
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

export async function readAudit(sql: Sql, runId: string): Promise<AuditFact[]> {
  return sql<
    AuditFact[]
  >`select action, outcome, reason, details from seed.audit_log where run_id = ${runId} order by id`;
}

/**
 * 429 answers the gateway audited (`reason = 'RATE_LIMITED'`) for the run's principal and tenant
 * from the run's creation to its end, plus any audit row of the run itself with that reason.
 */
export async function readGateway429s(sql: Sql, run: Run): Promise<number> {
  const until = run.finishedAt ?? run.updatedAt;
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from seed.audit_log
     where reason = 'RATE_LIMITED'
       and (run_id = ${run.id}
            or (tenant_id = ${run.tenantId} and actor = ${run.principal} and at >= ${run.createdAt} and at <= ${until}))`;
  return row?.n ?? 0;
}
