import { appendAudit, type Sql } from "../db/index.ts";

/** Checkpoints deleted for one tenant × environment × mode. */
export interface PrunedCheckpoints {
  tenantId: string;
  environment: string;
  mode: string;
  deleted: number;
}

/** Options of {@link createCheckpointPruner}. */
export interface CheckpointPrunerOptions {
  /** Control-plane pool (semente_app). */
  sql: Sql;
  /** Audit actor. @default "planner" */
  actor?: string;
  /** The clock deciding when a pass is due (injected so tests do not wait). */
  now: () => Date;
  /**
   * Time between passes.
   * @default 3_600_000
   */
  intervalMs?: number;
}

/** The planner's checkpoint clean-up job. */
export interface CheckpointPruner {
  /** Runs a pass if `intervalMs` elapsed since the last one (by the injected clock); returns what it deleted. */
  tick(): Promise<PrunedCheckpoints[] | null>;
  /** Runs a pass now. */
  prune(): Promise<PrunedCheckpoints[]>;
}

/**
 * Deletes checkpoints older than 30 days (R6.1) through `seed.prune_checkpoints()` — the age is
 * judged by the database clock, so a caller cannot shorten the retention — and audits each
 * tenant × environment × mode it touched (`checkpoints.prune`).
 */
export function createCheckpointPruner(options: CheckpointPrunerOptions): CheckpointPruner {
  const interval = options.intervalMs ?? 3_600_000;
  const prune = async (): Promise<PrunedCheckpoints[]> => {
    const rows = await options.sql<{ tenant_id: string; environment: string; mode: string; deleted: string }[]>`
      select tenant_id, environment, mode, deleted::text from seed.prune_checkpoints()`;
    const pruned = rows.map((r) => ({
      tenantId: r.tenant_id,
      environment: r.environment,
      mode: r.mode,
      deleted: Number(r.deleted),
    }));
    for (const p of pruned) {
      await appendAudit(options.sql, {
        actor: options.actor ?? "planner",
        action: "checkpoints.prune",
        outcome: "success",
        tenantId: p.tenantId,
        environment: p.environment,
        details: { mode: p.mode, deleted: p.deleted, retention_days: 30 },
      });
    }
    return pruned;
  };
  return { prune, tick: everyInterval(options.now, interval, prune) };
}

/**
 * `pass`, run at most once per `intervalMs` of the injected clock: the returned function runs it
 * when due (the first call always is) and answers null otherwise.
 */
export function everyInterval<T>(now: () => Date, intervalMs: number, pass: () => Promise<T>): () => Promise<T | null> {
  let last: number | undefined;
  return async () => {
    const at = now().getTime();
    if (last !== undefined && at - last < intervalMs) return null;
    last = at;
    return pass();
  };
}
