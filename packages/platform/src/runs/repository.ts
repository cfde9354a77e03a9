import { appendAudit, type Sql } from "../db/index.ts";
import { type Problem, SementeError } from "@semente/core/errors";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { assertTransition, isTerminalState, type RunState } from "./states.ts";
import type { ListRunsOptions, NewRun, Run, RunMode, RunOperation, RunPage, TransitionOptions } from "./types.ts";

interface RunRow {
  id: string;
  environment: string;
  tenant_id: string;
  mode: RunMode;
  operation: RunOperation;
  dry_run: boolean;
  state: RunState;
  manifest_hash: string;
  manifest_version: string;
  manifest: unknown;
  reference_datetime: Date;
  key_version: number;
  principal: string;
  etag_version: number;
  reason: Problem | null;
  trace_id: string | null;
  dataset_digest: string | null;
  rows_planned: string | number | bigint | null;
  rows_written: string | number | bigint;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  queued_until: Date | null;
  purged_at: Date | null;
  rows_deleted: string | number | bigint | null;
  created_us: string;
}

function toRun(row: RunRow): Run {
  return {
    id: row.id,
    environment: row.environment,
    tenantId: row.tenant_id,
    mode: row.mode,
    operation: row.operation,
    dryRun: row.dry_run,
    state: row.state,
    manifestHash: row.manifest_hash,
    manifestVersion: row.manifest_version,
    manifest: row.manifest,
    referenceDatetime: row.reference_datetime,
    keyVersion: row.key_version,
    principal: row.principal,
    etagVersion: row.etag_version,
    reason: row.reason,
    traceId: row.trace_id,
    datasetDigest: row.dataset_digest,
    rowsPlanned: row.rows_planned === null ? null : Number(row.rows_planned),
    rowsWritten: Number(row.rows_written),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    queuedUntil: row.queued_until,
    purgedAt: row.purged_at,
    rowsDeleted: row.rows_deleted === null ? null : Number(row.rows_deleted),
  };
}

// Microsecond creation time for the keyset cursor: a JS Date would truncate to milliseconds
// and make rows created within the same millisecond skip or repeat across pages.
const COLUMNS = `id, environment, tenant_id, mode, operation, dry_run, state, manifest_hash, manifest_version, manifest,
  reference_datetime, key_version, principal, etag_version, reason, trace_id, dataset_digest, rows_planned,
  rows_written, created_at, updated_at, started_at, finished_at, queued_until, purged_at, rows_deleted,
  ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS created_us`;

/** Runs `fn` in a transaction, or directly when `sql` already is one. */
function inTransaction<T>(sql: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  if ("savepoint" in sql) return fn(sql);
  return sql.begin((tx) => fn(tx)) as Promise<T>;
}

/** Inserts a `queued` run and its `run.create` audit row in one transaction. */
export function createRun(sql: Sql, input: NewRun): Promise<Run> {
  const id = input.id ?? crypto.randomUUID();
  return inTransaction(sql, async (tx) => {
    const rows = await tx.unsafe<RunRow[]>(
      `INSERT INTO seed.runs (id, environment, tenant_id, mode, dry_run, state, manifest_hash, manifest_version,
         manifest, reference_datetime, key_version, principal, trace_id, rows_planned, queued_until, operation)
       VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14, $15)
       RETURNING ${COLUMNS}`,
      [
        id,
        input.environment,
        input.tenantId,
        input.mode,
        input.dryRun,
        input.manifestHash,
        input.manifestVersion,
        input.manifest,
        new Date(input.referenceDatetime),
        input.keyVersion,
        input.principal,
        input.traceId ?? null,
        input.rowsPlanned ?? null,
        input.queuedUntil,
        input.operation ?? "seed",
      ] as never[],
    );
    const run = toRun(rows[0]!);
    await appendAudit(tx, {
      actor: input.actor ?? input.principal,
      action: "run.create",
      outcome: "success",
      tenantId: run.tenantId,
      environment: run.environment,
      runId: run.id,
      details: { mode: run.mode, operation: run.operation, dry_run: run.dryRun, manifest_hash: run.manifestHash },
    });
    return run;
  });
}

export async function getRun(sql: Sql, id: string): Promise<Run | null> {
  const rows = await sql.unsafe<RunRow[]>(`SELECT ${COLUMNS} FROM seed.runs WHERE id = $1`, [id]);
  return rows[0] === undefined ? null : toRun(rows[0]);
}

/** Like `getRun`, but `NOT_FOUND` when absent. */
export async function requireRun(sql: Sql, id: string): Promise<Run> {
  const run = await getRun(sql, id);
  if (run === null) throw new SementeError("NOT_FOUND", `Run ${id} not found`);
  return run;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listRuns(sql: Sql, options: ListRunsOptions): Promise<RunPage> {
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > 500) {
    throw new SementeError("MALFORMED_INPUT", "limit must be an integer between 1 and 500");
  }
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (options.tenant !== undefined) where.push(`tenant_id = ${param(options.tenant)}`);
  if (options.environment !== undefined) where.push(`environment = ${param(options.environment)}`);
  if (options.state !== undefined) where.push(`state = ${param(options.state)}`);
  if (options.cursor !== undefined) {
    const cursor = decodeCursor(options.cursor);
    const at = `(timestamptz 'epoch' + ${param(cursor.createdUs)}::bigint * interval '1 microsecond')`;
    where.push(`(created_at < ${at} OR (created_at = ${at} AND id > ${param(cursor.id)}::uuid))`);
  }
  const filter = where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`;
  const rows = await sql.unsafe<RunRow[]>(
    `SELECT ${COLUMNS} FROM seed.runs ${filter} ORDER BY created_at DESC, id ASC LIMIT ${param(options.limit + 1)}`,
    params as never[],
  );
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > options.limit && last !== undefined
      ? encodeCursor({ createdUs: last.created_us, id: last.id })
      : null;
  return { runs: page.map(toRun), nextCursor };
}

/**
 * Moves a run to `options.to`, bumping `etag_version` and `updated_at`, and appends a
 * `run.<state>` audit row in the same transaction. Returns the new row.
 */
export function transitionRun(sql: Sql, id: string, options: TransitionOptions): Promise<Run> {
  return inTransaction(sql, async (tx) => {
    const current = await lockRun(tx, id, options.expectedVersion);
    assertTransition(current.state, options.to);
    const updated = await tx.unsafe<RunRow[]>(
      `UPDATE seed.runs SET
         state = $2,
         etag_version = etag_version + 1,
         updated_at = now(),
         reason = COALESCE($3::jsonb, reason),
         started_at = CASE WHEN $2 = 'admitted' THEN now() ELSE started_at END,
         finished_at = CASE WHEN $4 THEN now() ELSE finished_at END,
         rows_planned = COALESCE($5, rows_planned),
         rows_written = COALESCE($6, rows_written),
         dataset_digest = COALESCE($7, dataset_digest),
         trace_id = COALESCE($8, trace_id),
         queued_until = CASE WHEN $9 THEN $10::timestamptz ELSE queued_until END
       WHERE id = $1
       RETURNING ${COLUMNS}`,
      transitionParams(id, options),
    );
    const run = toRun(updated[0]!);
    const failed = options.to === "failed" || options.to === "expired" || options.to === "aborted";
    await appendAudit(tx, {
      actor: options.actor ?? "semente",
      action: `run.${options.to}`,
      outcome: failed ? "failure" : "success",
      tenantId: run.tenantId,
      environment: run.environment,
      runId: run.id,
      ...(options.reason === undefined ? {} : { reason: options.reason.code }),
      details: { from: current.state, to: run.state, etag_version: run.etagVersion, ...options.details },
    });
    return run;
  });
}

/** The run, locked for the transaction; PRECONDITION_FAILED when it is not at `expectedVersion`. */
async function lockRun(tx: Sql, id: string, expectedVersion: number | undefined): Promise<Run> {
  const rows = await tx.unsafe<RunRow[]>(`SELECT ${COLUMNS} FROM seed.runs WHERE id = $1 FOR UPDATE`, [id]);
  if (rows[0] === undefined) throw new SementeError("NOT_FOUND", `Run ${id} not found`);
  const current = toRun(rows[0]);
  if (expectedVersion !== undefined && expectedVersion !== current.etagVersion) {
    throw new SementeError("PRECONDITION_FAILED", "The run changed since the representation you hold", {
      extensions: { current_etag: `"${current.id}-${current.etagVersion}"` },
    });
  }
  return current;
}

/** $1…$10 of the transition's UPDATE. */
function transitionParams(id: string, options: TransitionOptions): never[] {
  const patch = options.patch ?? {};
  return [
    id,
    options.to,
    options.reason ?? null,
    isTerminalState(options.to),
    patch.rowsPlanned ?? null,
    patch.rowsWritten ?? null,
    patch.datasetDigest ?? null,
    patch.traceId ?? null,
    patch.queuedUntil !== undefined,
    patch.queuedUntil ?? null,
  ] as never[];
}

/**
 * Deletes a run that was created `queued` but never entered the admission queue (its submission
 * failed before the queue entry committed, e.g. the broker was down), with a `run.withdraw` audit
 * row: the caller answers an error, so no run may stay behind. False when the run moved on or is
 * already queued (then it is a real run and stays).
 */
export function withdrawRun(sql: Sql, run: Run, reason: Problem, actor: string): Promise<boolean> {
  return inTransaction(sql, async (tx) => {
    // seed.withdraw_run deletes only a queued run with no queue entry; the role holds no DELETE.
    const [row] = await tx<{ withdrawn: boolean }[]>`SELECT seed.withdraw_run(${run.id}) AS withdrawn`;
    if (row?.withdrawn !== true) return false;
    await appendAudit(tx, {
      actor,
      action: "run.withdraw",
      outcome: "failure",
      tenantId: run.tenantId,
      environment: run.environment,
      runId: run.id,
      reason: reason.code,
      details: { detail: reason.detail ?? reason.title },
    });
    return true;
  });
}
