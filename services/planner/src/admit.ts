import { appendAudit } from "@semente/platform/db";
import type { Run } from "@semente/platform/runs";
import { inSpan, type Logger, sementeTracer } from "@semente/platform/telemetry";
import type { ExecutorDeps } from "./executor.ts";
import { runPlannerPreflight } from "./preflight.ts";
import { markPurgeFirst } from "./purge-phase.ts";
import { ACTOR, refuse, transition } from "./run-state.ts";

/**
 * An admitted run through its preflight: refused (failed or aborted, audited; returns null), or
 * audited `preflight.pass` — with what a reseed replaces — turned into a reseed when it is a
 * load/DR re-run (R6.6), and moved to `planning`.
 */
export async function admit(deps: ExecutorDeps, admitted: Run, log: Logger): Promise<Run | null> {
  let run = admitted;
  try {
    const report = await inSpan(deps.tracer ?? sementeTracer(), "planner.preflight", {}, () =>
      runPlannerPreflight(deps.preflight, admitted),
    );
    await appendAudit(deps.sql, {
      actor: ACTOR,
      action: "preflight.pass",
      outcome: "success",
      tenantId: run.tenantId,
      environment: run.environment,
      runId: run.id,
      details: {
        dry_run: run.dryRun,
        operation: run.operation,
        role: report.role,
        checks: report.checks,
        rls: report.rls,
        key_version: report.keyVersion,
        cost: report.costEstimate,
        ...(report.drift.length > 0
          ? { replaces: report.drift.map(({ pointer, message }) => ({ pointer, message })) }
          : {}),
      },
    });
    if (report.purgeFirst) {
      run = await markPurgeFirst(deps.sql, run);
      log.info({ mode: run.mode }, "load/DR re-run: the mode's previous dataset is purged first");
    }
  } catch (error) {
    await refuse(deps, run, error, log);
    return null;
  }
  return transition(deps, run, "planning", {}, log);
}
