import type { Sql } from "@semente/platform/db";
import { createCheckpointPruner } from "@semente/platform/lifecycle";
import type { Logger } from "@semente/platform/telemetry";

/** Options of {@link startRetentionJob}. */
export interface RetentionJobOptions {
  sql: Sql;
  log: Logger;
  now: () => Date;
  /** How often the job looks whether an hourly pass is due. @default 60_000 */
  checkMs?: number;
}

/** Starts the hourly checkpoint clean-up (30-day retention, R6.1); returns its stop function. */
export function startRetentionJob(options: RetentionJobOptions): () => void {
  const pruner = createCheckpointPruner({ sql: options.sql, now: options.now });
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    pruner
      .tick()
      .then((pruned) => {
        for (const p of pruned ?? []) options.log.info(p, "checkpoints pruned");
      })
      .catch((error) => options.log.warn({ err: error }, "checkpoint clean-up failed; retried on the next pass"))
      .finally(() => {
        busy = false;
      });
  }, options.checkMs ?? 60_000);
  return () => clearInterval(timer);
}
