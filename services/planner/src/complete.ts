import { toProblem } from "@semente/core/errors";
import { digestHex, type RunProgress } from "@semente/core/pipeline";
import type { Run } from "@semente/platform/runs";
import type { Logger } from "@semente/platform/telemetry";
import { runCheckpoints } from "./batches.ts";
import { concludeDrill, type DrillDeps, isDrill } from "./drill.ts";
import type { ExecutorDeps } from "./executor.ts";
import { instance, transition } from "./run-state.ts";

/** The drill phases' dependencies, from the executor's. */
export function drillDeps(deps: ExecutorDeps, log: Logger): DrillDeps {
  return {
    sql: deps.sql,
    verifierSql: deps.preflight.verifierSql,
    keys: deps.preflight.keys,
    log,
    verifyLanes: deps.verifyLanes,
  };
}

/**
 * Ends a run whose batches all committed: `completed` with its dataset digest — except a DR
 * drill, which first verifies the regenerated rows (inside the run, so its signed evidence holds
 * the outcome) and fails when they differ (DATASET_MISMATCH) or RTO/RPO is over target
 * (DR_TARGET_MISSED).
 */
export async function completeRun(
  deps: ExecutorDeps,
  run: Run,
  progress: RunProgress,
  log: Logger,
  isStopped: () => boolean,
): Promise<void> {
  const digest = progress.datasetDigest();
  const rows = progress.rowsWritten();
  if (isDrill(run) && !run.dryRun) {
    const committed = (await runCheckpoints(deps.sql, run)).map((c) => ({
      entity: c.entity,
      batchIndex: c.batch_index,
      digest: c.digest,
    }));
    const { assessment, error } = await concludeDrill(drillDeps(deps, log), run, committed, isStopped);
    log.info(
      { rto_seconds: assessment.rtoSeconds, rpo_seconds: assessment.rpoSeconds, passed: assessment.passed },
      "DR drill concluded",
    );
    if (error !== null) {
      await transition(
        deps,
        run,
        "failed",
        { reason: toProblem(error, instance(run.id)), patch: { rowsWritten: rows }, details: { ...error.extensions } },
        log,
      );
      return;
    }
  }
  await transition(
    deps,
    run,
    "completed",
    {
      patch: { datasetDigest: digestHex(digest), rowsWritten: rows },
      details: { dataset_digest: digest, dry_run: run.dryRun },
    },
    log,
  );
  log.info({ dataset_digest: digest, rows, dry_run: run.dryRun }, "run completed");
}
