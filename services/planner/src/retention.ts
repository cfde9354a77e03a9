import type { Admission } from "@semente/platform/admission";
import type { Sql } from "@semente/platform/db";
import { createCheckpointPruner, createDatasetCleaner } from "@semente/platform/lifecycle";
import type { Logger } from "@semente/platform/telemetry";

/** Options of {@link startRetentionJob}. */
export interface RetentionJobOptions {
  sql: Sql;
  log: Logger;
  now: () => Date;
  /**
   * Admission, to submit the purge runs of expired load/DR datasets (R6.6); without it only the
   * checkpoint retention runs.
   */
  admission?: Pick<Admission, "submit" | "tenantHolder">;
  /** How often the job looks whether a pass is due. @default 60_000 */
  checkMs?: number;
  /** Time between TTL clean-up passes. @default 300_000 */
  datasetIntervalMs?: number;
}

interface Job {
  name: string;
  tick(): Promise<object[] | null>;
}

/**
 * Starts the planner's clean-up jobs on the injected clock: the hourly checkpoint retention
 * (30 days, R6.1) and, with `admission`, the TTL clean-up of expired load/DR datasets (a purge run
 * each, R6.6). Returns the stop function. A failed pass is logged and retried on the next one.
 */
export function startRetentionJob(options: RetentionJobOptions): () => void {
  const jobs: Job[] = [
    { name: "checkpoints pruned", tick: createCheckpointPruner({ sql: options.sql, now: options.now }).tick },
  ];
  if (options.admission !== undefined) {
    const cleaner = createDatasetCleaner({
      sql: options.sql,
      admission: options.admission,
      now: options.now,
      intervalMs: options.datasetIntervalMs,
    });
    jobs.push({ name: "expired dataset", tick: cleaner.tick });
  }
  let busy = false;
  const pass = async () => {
    for (const job of jobs) {
      try {
        for (const outcome of (await job.tick()) ?? []) options.log.info(outcome, job.name);
      } catch (error) {
        options.log.warn({ err: error, job: job.name }, "clean-up pass failed; retried on the next pass");
      }
    }
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void pass().finally(() => {
      busy = false;
    });
  }, options.checkMs ?? 60_000);
  return () => clearInterval(timer);
}
