import type { Sql } from "@semente/platform/db";
import { isSementeError, SementeError, toProblem } from "@semente/core/errors";
import type { Manifest } from "@semente/core/manifest";
import type { SloReading } from "@semente/core/pipeline";
import { type Run, transitionRun } from "@semente/platform/runs";
import type { Logger } from "@semente/platform/telemetry";
import type { RunBudget } from "./budget.ts";
import type { ExecutorDeps } from "./executor.ts";
import { ACTOR, instance, publishEvent } from "./run-state.ts";

/** Why the planner stopped releasing a run's batches; it is aborted once nothing is in flight. */
export interface Halt {
  error: SementeError;
  /** Written in the abort's transaction (the budget's abort ledger row). */
  record?: (tx: Sql) => Promise<void>;
}

/** Aborts the run once nothing is in flight: nothing is written after the abort. */
export async function abortRun(deps: ExecutorDeps, run: Run, halt: Halt, log: Logger): Promise<void> {
  log.error({ code: halt.error.code, ...halt.error.extensions }, "run aborted by its guard");
  try {
    const next = await deps.sql.begin(async (tx) => {
      await halt.record?.(tx);
      return transitionRun(tx, run.id, {
        to: "aborted",
        reason: toProblem(halt.error, instance(run.id)),
        actor: ACTOR,
        details: { ...halt.error.extensions },
      });
    });
    await publishEvent(deps, next as Run, log);
  } catch (failure) {
    if (!isSementeError(failure) || failure.code !== "INVALID_STATE") throw failure;
  }
}

export function budgetHalt(budget: RunBudget): Halt {
  const spent = budget.spent();
  return {
    error: new SementeError(
      "BUDGET_EXCEEDED",
      `measured cost ${spent} and the next batch would exceed the budget of ${budget.maxCost}`,
      { extensions: { spent, max_cost: budget.maxCost } },
    ),
    record: (tx) => budget.recordAbort(tx),
  };
}

export function sloHalt(reading: SloReading, slo: Manifest["slo"]): Halt {
  const latency = `batch latency p95 ${Math.round(reading.p95Ms)} ms / p99 ${Math.round(reading.p99Ms)} ms over the SLO (${slo.p95_batch_ms} / ${slo.p99_batch_ms} ms)`;
  const errors = `batch error rate ${reading.errorRate.toFixed(3)} over the error budget ${slo.max_error_rate}`;
  return {
    error: new SementeError("SLO_BREACHED", reading.latencyBreached ? latency : errors, {
      extensions: {
        p95_ms: Math.round(reading.p95Ms),
        p99_ms: Math.round(reading.p99Ms),
        samples: reading.samples,
        p95_batch_ms: slo.p95_batch_ms,
        p99_batch_ms: slo.p99_batch_ms,
        error_rate: Math.round(reading.errorRate * 1e6) / 1e6,
        outcomes: reading.outcomes,
        max_error_rate: slo.max_error_rate,
      },
    }),
  };
}
