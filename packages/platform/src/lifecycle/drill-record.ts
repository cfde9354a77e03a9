import { BANKING_TABLES, type Sql, withTenant } from "../db/index.ts";
import { Isolation } from "../db/types.ts";
import { comparePlanOrder } from "@semente/core/pipeline";
import type { AcknowledgedBatch, DrillFacts, DrillTargets, DrillVerification } from "./drill.ts";

/** The drill run whose loss is captured. */
export interface DrillRunRef {
  runId: string;
  tenantId: string;
  environment: string;
  mode: string;
}

/** Options of {@link captureLoss}. */
export interface CaptureLossOptions extends DrillRunRef {
  /** Control plane (semente_app): writes `seed.dr_drills`. */
  sql: Sql;
  /** Read-only verification role: the tenant's checkpoints and row counts, under RLS, in one snapshot. */
  verifierSql: Sql;
  targets: DrillTargets;
}

interface HeldState {
  acknowledged: AcknowledgedBatch[];
  rowsAtLoss: number;
  unexplainedRows: number;
}

/** What the tenant holds now: its latest checkpoint per batch in the environment, and its rows. */
async function heldState(options: CaptureLossOptions): Promise<HeldState> {
  return withTenant(
    options.verifierSql,
    options.tenantId,
    async (tx) => {
      const checkpoints = await tx<
        { entity: string; batch_index: number; digest: string; row_count: string; committed_at: Date }[]
      >`
        SELECT DISTINCT ON (entity, batch_index) entity, batch_index, digest, row_count::text, committed_at
          FROM seed.checkpoints WHERE tenant_id = ${options.tenantId} AND environment = ${options.environment}
         ORDER BY entity, batch_index, committed_at DESC`;
      const acknowledged = checkpoints
        .map((c) => ({
          entity: c.entity,
          batchIndex: c.batch_index,
          digest: c.digest,
          rows: Number(c.row_count),
          committedAt: c.committed_at,
        }))
        .sort(comparePlanOrder);
      const explained = new Map<string, number>();
      for (const a of acknowledged) explained.set(a.entity, (explained.get(a.entity) ?? 0) + a.rows);
      let rowsAtLoss = 0;
      let unexplainedRows = 0;
      for (const entity of BANKING_TABLES) {
        // Table names come from a constant list, never from input.
        const [row] = await tx.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM banking.${entity}`);
        const n = Number(row?.n ?? 0);
        rowsAtLoss += n;
        unexplainedRows += Math.max(0, n - (explained.get(entity) ?? 0));
      }
      return { acknowledged, rowsAtLoss, unexplainedRows };
    },
    { isolation: Isolation.REPEATABLE_READ, readOnly: true },
  );
}

type AcknowledgedJson = [string, number, string, number, number][];

interface DrillRow {
  run_id: string;
  tenant_id: string;
  environment: string;
  mode: string;
  loss_at: Date;
  acknowledged: AcknowledgedJson;
  rows_at_loss: string;
  unexplained_rows: string;
  rto_target_s: number;
  rpo_target_s: number;
  purged_at: Date | null;
  rows_purged: string | null;
  regenerated_at: Date | null;
  verified_at: Date | null;
  verification: DrillVerification | null;
}

function toFacts(row: DrillRow): DrillFacts {
  return {
    runId: row.run_id,
    tenantId: row.tenant_id,
    environment: row.environment,
    mode: row.mode,
    lossAt: row.loss_at,
    acknowledged: row.acknowledged.map(([entity, batchIndex, digest, rows, committedMs]) => ({
      entity,
      batchIndex,
      digest,
      rows,
      committedAt: new Date(committedMs),
    })),
    rowsAtLoss: Number(row.rows_at_loss),
    unexplainedRows: Number(row.unexplained_rows),
    targets: { rtoSeconds: row.rto_target_s, rpoSeconds: row.rpo_target_s },
    purgedAt: row.purged_at,
    rowsPurged: row.rows_purged === null ? null : Number(row.rows_purged),
    regeneratedAt: row.regenerated_at,
    verifiedAt: row.verified_at,
    verification: row.verification,
  };
}

/** The recorded facts of a drill run, or null when its loss was never captured. */
export async function readDrill(sql: Sql, runId: string): Promise<DrillFacts | null> {
  const [row] = await sql<DrillRow[]>`
    SELECT d.*, r.purged_at, r.rows_deleted::text AS rows_purged
      FROM seed.dr_drills d JOIN seed.runs r ON r.id = d.run_id WHERE d.run_id = ${runId}`;
  return row === undefined ? null : toFacts(row);
}

/**
 * Records the loss instant of a drill run — the database clock, right before its purge starts —
 * with what the tenant held then (read as the verification role, one snapshot). Done once: a
 * drill resumed after a crash keeps the first capture (its purge may already have deleted rows).
 */
export async function captureLoss(options: CaptureLossOptions): Promise<DrillFacts> {
  const existing = await readDrill(options.sql, options.runId);
  if (existing !== null) return existing;
  const held = await heldState(options);
  const acknowledged: AcknowledgedJson = held.acknowledged.map((a) => [
    a.entity,
    a.batchIndex,
    a.digest,
    a.rows,
    a.committedAt.getTime(),
  ]);
  await options.sql`
    INSERT INTO seed.dr_drills (run_id, tenant_id, environment, mode, loss_at, acknowledged, rows_at_loss,
                                unexplained_rows, rto_target_s, rpo_target_s)
    VALUES (${options.runId}, ${options.tenantId}, ${options.environment}, ${options.mode}, clock_timestamp(),
            ${options.sql.json(acknowledged)}, ${held.rowsAtLoss}, ${held.unexplainedRows},
            ${options.targets.rtoSeconds}, ${options.targets.rpoSeconds})
    ON CONFLICT (run_id) DO NOTHING`;
  return (await readDrill(options.sql, options.runId)) as DrillFacts;
}

/** Every batch of the regeneration committed (once, after the run's purge phase closed). */
export async function markRegenerated(sql: Sql, runId: string): Promise<void> {
  await sql`
    UPDATE seed.dr_drills d SET regenerated_at = clock_timestamp()
      FROM seed.runs r
     WHERE d.run_id = ${runId} AND r.id = d.run_id AND d.regenerated_at IS NULL AND r.purged_at IS NOT NULL`;
}

/** The verification phase ended (once), with its outcome; returns the facts as recorded. */
export async function recordVerification(
  sql: Sql,
  runId: string,
  verification: DrillVerification,
): Promise<DrillFacts> {
  await sql`
    UPDATE seed.dr_drills SET verified_at = clock_timestamp(), verification = ${sql.json(verification as never)}
     WHERE run_id = ${runId} AND verified_at IS NULL AND regenerated_at IS NOT NULL`;
  const facts = await readDrill(sql, runId);
  if (facts === null) throw new TypeError(`run ${runId} has no drill record`);
  return facts;
}
