import { publishRunEvent } from "@semente/platform/bus";
import { appendAudit } from "@semente/platform/db";
import { isSementeError, SementeError, toProblem } from "@semente/core/errors";
import { getRun, isTerminalState, type Run, type RunState, transitionRun } from "@semente/platform/runs";
import type { Logger } from "@semente/platform/telemetry";
import type { ExecutorDeps } from "./executor.ts";
import { ABORT_CODES } from "./preflight.ts";

/** Audit actor of every planner transition. */
export const ACTOR = "planner";
/** The run's problem `instance`. */
export const instance = (runId: string) => `/api/v1/seed-runs/${runId}`;

/** Publishes the run's current state as a run event (best effort: PostgreSQL holds the state). */
export async function publishEvent(deps: Pick<ExecutorDeps, "js" | "events">, run: Run, log: Logger): Promise<void> {
  try {
    await publishRunEvent(deps.js, run, run.state, deps.events);
  } catch (error) {
    // PostgreSQL holds the state; a lost event only delays followers that poll.
    log.warn({ err: error, event: run.state }, "run event not published");
  }
}

/** Moves the run unless someone else (a cancel) moved it first; returns the current row. */
export async function transition(
  deps: ExecutorDeps,
  run: Run,
  to: RunState,
  options: Omit<Parameters<typeof transitionRun>[2], "to" | "actor">,
  log: Logger,
): Promise<Run> {
  try {
    const next = await transitionRun(deps.sql, run.id, { ...options, to, actor: ACTOR });
    if (isTerminalState(next.state)) {
      deps.runsFinished?.inc({ environment: next.environment, mode: next.mode, state: next.state });
    }
    await publishEvent(deps, next, log);
    return next;
  } catch (error) {
    if (isSementeError(error) && error.code === "INVALID_STATE") return (await getRun(deps.sql, run.id)) ?? run;
    throw error;
  }
}

/** Fails (or aborts) an admitted run its preflight refused; audited, nothing written. */
export async function refuse(deps: ExecutorDeps, run: Run, error: unknown, log: Logger): Promise<void> {
  const e = isSementeError(error)
    ? error
    : new SementeError("INTERNAL", "preflight failed unexpectedly", { cause: error });
  const to: RunState = ABORT_CODES.has(e.code) ? "aborted" : "failed";
  log.warn({ code: e.code, to }, "preflight refused the run; nothing written");
  try {
    const next = await deps.sql.begin(async (tx) => {
      await appendAudit(tx, {
        actor: ACTOR,
        action: "preflight.refuse",
        outcome: "refused",
        tenantId: run.tenantId,
        environment: run.environment,
        runId: run.id,
        reason: e.code,
        details: { dry_run: run.dryRun, detail: e.message },
      });
      return transitionRun(tx, run.id, { to, reason: toProblem(e, instance(run.id)), actor: ACTOR });
    });
    deps.runsFinished?.inc({ environment: run.environment, mode: run.mode, state: to });
    await publishEvent(deps, next as Run, log);
  } catch (failure) {
    if (!isSementeError(failure) || failure.code !== "INVALID_STATE") throw failure;
  }
}
