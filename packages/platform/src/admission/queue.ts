import type { Sql } from "../db/index.ts";

/** A waiting queue entry joined with its run's current state. */
export interface WaitingEntry {
  runId: string;
  tenantId: string;
  runState: string;
}

/**
 * Serialises admission decisions per environment across every replica (transaction-scoped):
 * FIFO order means one promoter at a time looks at an environment's queue.
 */
export async function lockEnvironment(tx: Sql, environment: string): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(hashtext('semente.admission'), hashtext(${environment}))`;
}

/**
 * Queues a run (idempotent per run) with `expires_at = now() + ttl` and mirrors the deadline on
 * `seed.runs.queued_until`. Returns the deadline.
 */
export async function enqueue(
  tx: Sql,
  run: { id: string; environment: string; tenantId: string; mode: string },
  ttlMs: number,
): Promise<Date> {
  await tx`
    INSERT INTO seed.queue_entries (run_id, environment, tenant_id, mode, state, waiting_for, expires_at)
    VALUES (${run.id}, ${run.environment}, ${run.tenantId}, ${run.mode}, 'waiting', 'global_slot',
      now() + ${ttlMs} * interval '1 millisecond')
    ON CONFLICT (run_id) DO NOTHING`;
  const rows = await tx<{ expires_at: Date }[]>`
    UPDATE seed.runs r SET queued_until = q.expires_at, updated_at = now(), etag_version = r.etag_version + 1
    FROM seed.queue_entries q
    WHERE q.run_id = r.id AND r.id = ${run.id} AND r.queued_until IS DISTINCT FROM q.expires_at
    RETURNING q.expires_at`;
  if (rows[0] !== undefined) return rows[0].expires_at;
  const existing = await tx<{ expires_at: Date }[]>`SELECT expires_at FROM seed.queue_entries WHERE run_id = ${run.id}`;
  return existing[0]!.expires_at;
}

/** Waiting entries past their deadline, oldest first, locked (others skip them). */
export async function lockExpiredEntries(tx: Sql, environment: string): Promise<string[]> {
  const rows = await tx<{ run_id: string }[]>`
    SELECT run_id FROM seed.queue_entries
    WHERE environment = ${environment} AND state = 'waiting' AND expires_at <= now()
    ORDER BY enqueued_at, run_id
    FOR UPDATE SKIP LOCKED`;
  return rows.map((r) => r.run_id);
}

/** Waiting entries still within their deadline, FIFO, locked with their runs (others skip them). */
export async function lockWaitingEntries(tx: Sql, environment: string): Promise<WaitingEntry[]> {
  const rows = await tx<{ run_id: string; tenant_id: string; state: string }[]>`
    SELECT q.run_id, q.tenant_id, r.state FROM seed.queue_entries q JOIN seed.runs r ON r.id = q.run_id
    WHERE q.environment = ${environment} AND q.state = 'waiting' AND q.expires_at > now()
    ORDER BY q.enqueued_at, q.run_id
    FOR UPDATE OF q, r SKIP LOCKED`;
  return rows.map((r) => ({ runId: r.run_id, tenantId: r.tenant_id, runState: r.state }));
}

/** Closes an entry. */
export async function resolveEntry(tx: Sql, runId: string, state: "admitted" | "expired" | "cancelled"): Promise<void> {
  await tx`UPDATE seed.queue_entries SET state = ${state}, resolved_at = now() WHERE run_id = ${runId} AND state = 'waiting'`;
}

/** Records what a still-waiting entry waits for (the tenant lease or a global slot). */
export async function markWaitingFor(
  tx: Sql,
  runId: string,
  waitingFor: "global_slot" | "tenant_lease",
): Promise<void> {
  await tx`UPDATE seed.queue_entries SET waiting_for = ${waitingFor}
    WHERE run_id = ${runId} AND state = 'waiting' AND waiting_for <> ${waitingFor}`;
}

/** Environments that have waiting entries. */
export async function environmentsWithWaiting(sql: Sql): Promise<string[]> {
  const rows = await sql<{ environment: string }[]>`
    SELECT DISTINCT environment FROM seed.queue_entries WHERE state = 'waiting' ORDER BY environment`;
  return rows.map((r) => r.environment);
}

/** Whether the tenant × environment maintenance flag is active now. */
export async function isUnderMaintenance(sql: Sql, tenantId: string, environment: string): Promise<boolean> {
  const rows = await sql`
    SELECT 1 FROM seed.tenant_maintenance
    WHERE tenant_id = ${tenantId} AND environment = ${environment} AND active
      AND since <= now() AND (until IS NULL OR until > now())`;
  return rows.length > 0;
}
