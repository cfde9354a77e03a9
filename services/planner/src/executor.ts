import { purgesThenSeeds } from "@semente/platform/lifecycle";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { RunEventsOptions } from "@semente/platform/bus";
import type { Sql } from "@semente/platform/db";
import type { Manifest } from "@semente/core/manifest";
import { type CheckpointMessage, planBatches } from "@semente/core/pipeline";
import type { PipelineNames } from "@semente/platform/pipeline";
import { getRun, isTerminalState, type Run } from "@semente/platform/runs";
import {
  type Counter,
  contextFromTraceparent,
  type ExportGate,
  inSpan,
  type Logger,
  RunSpan,
  recordRunSpan,
  runTraceparent,
  sementeTracer,
  withLabels,
} from "@semente/platform/telemetry";
import type { Tracer } from "@opentelemetry/api";
import { insertPlan } from "./batches.ts";
import type { LeaseKeeper } from "./leases.ts";
import type { PreflightDeps } from "./preflight.ts";
import type { ReleaseBy } from "./release.ts";
import { admit } from "./admit.ts";
import { executePurgeRun, purgePhase } from "./purge-phase.ts";
import { transition } from "./run-state.ts";
import { drillDeps } from "./complete.ts";
import { recordLoss } from "./drill.ts";
import { type Control, type PhaseEnd, seedPhase } from "./seed-phase.ts";

/** What one run's executor needs. */
export interface ExecutorDeps {
  /** Control plane (semente_app). */
  sql: Sql;
  js: JetStreamClient;
  names: PipelineNames;
  events: RunEventsOptions;
  preflight: PreflightDeps;
  /** Batches in flight for load/DR runs (baseline: 1). */
  parallelism: number;
  /** Load/DR release rule (baseline is always sequential in plan order). @default ReleaseBy.level */
  releaseBy?: ReleaseBy;
  reconcileMs: number;
  log: Logger;
  leases: LeaseKeeper;
  /** Frees the run's admission leases and promotes the queue. */
  release: (runId: string) => Promise<void>;
  /** @default the global tracer */
  tracer?: Tracer;
  /** `semente_runs_finished_total{environment,mode,state}`. */
  runsFinished?: Counter;
  /** `semente_budget_alerts_total`. */
  budgetAlerts?: Counter;
  /** Monotonic milliseconds of the release pacing (transport timing). @default performance.now */
  now?: () => number;
  /** A purge phase with no chunk committed for this long is published again. @default 60_000 */
  purgeStallMs?: number;
  /**
   * The planner's trace-export gate: where it is required (staging/prod) and down, running runs
   * pause until it recovers. @default none (never holds)
   */
  telemetryGate?: Pick<ExportGate, "state">;
  /** A DR drill's verification: entities checked at once, in one snapshot. @default 1 */
  verifyLanes?: number;
}

/** A run being executed. */
export interface RunHandle {
  readonly runId: string;
  /** Reconcile now (a checkpoint, a dead letter or a state change happened). */
  wake(): void;
  /** A checkpoint message of this run (dry runs have no checkpoint rows: this is their progress). */
  onCheckpoint(message: CheckpointMessage): void;
  /** A seeder reported a failed delivery of one of the run's batches (counted by the error budget). */
  onFailure(): void;
  /** Stops after the current step (shutdown); the run stays resumable. */
  stop(): void;
  readonly done: Promise<void>;
}

/** Starts executing `runId` from whatever state the database holds (admitted, planning or running). */
export function startRun(deps: ExecutorDeps, runId: string): RunHandle {
  let stopped = false;
  let wakeUp: (() => void) | undefined;
  const dryCommits: CheckpointMessage[] = [];
  const durations: number[] = [];
  let failures = 0;
  const control: Control = {
    isStopped: () => stopped,
    takeDryCommits: () => dryCommits.splice(0),
    takeDurations: () => durations.splice(0),
    takeFailures: () => {
      const n = failures;
      failures = 0;
      return n;
    },
    wait: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wakeUp = undefined;
          resolve();
        }
        wakeUp = done;
      }),
  };
  return {
    runId,
    wake: () => wakeUp?.(),
    onCheckpoint(message) {
      if (message.dryRun) dryCommits.push(message);
      if (!message.duplicate) durations.push(message.durationMs);
      wakeUp?.();
    },
    onFailure() {
      failures += 1;
      wakeUp?.();
    },
    stop() {
      stopped = true;
      wakeUp?.();
    },
    done: traced(deps, runId, control),
  };
}

/**
 * The run's `planner.run` span, child of the gateway's admission span recorded in
 * `seed.run_traces` (so a run admitted from the queue, or resumed after a restart, stays in the
 * trace of its request). Batch publications inside it carry it to the seeders in NATS headers.
 */
async function traced(deps: ExecutorDeps, runId: string, control: Control): Promise<void> {
  const parent = contextFromTraceparent(await runTraceparent(deps.sql, runId, RunSpan.admission));
  const tracer = deps.tracer ?? sementeTracer();
  return inSpan(tracer, RunSpan.planner, { parent, attributes: { "semente.run_id": runId } }, async (span) => {
    await recordRunSpan(deps.sql, runId, "planner", RunSpan.planner, span);
    return execute(deps, runId, control);
  });
}

async function execute(deps: ExecutorDeps, runId: string, control: Control): Promise<void> {
  const run = await getRun(deps.sql, runId);
  if (run === null) return;
  const log = withLabels(deps.log, { tenant: run.tenantId, environment: run.environment, run: run.id });
  deps.leases.keep(run);
  const finish = async (): Promise<void> => {
    deps.leases.drop(runId);
    try {
      await deps.release(runId);
    } catch (error) {
      // The run is terminal in PostgreSQL; a lease left behind (broker down) expires on its TTL
      // and the admission heartbeat frees the leases of terminal runs.
      log.warn({ err: error }, "admission leases not released");
    }
  };
  try {
    const ready = await beforeSeeding(deps, run, control, log);
    const end = typeof ready === "string" ? ready : await seedPhase(deps, ready.run, ready.plan, control, log);
    if (end === "finish") await finish();
  } catch (error) {
    log.error({ err: error }, "run execution interrupted; it resumes on the next pass");
    throw error;
  }
}

/**
 * Takes the run to its seed phase: admits it, runs a purge run, plans it, and runs the purge
 * phase of a reseed or drill. The running (or paused) run and its plan, or how it ended before.
 */
async function beforeSeeding(
  deps: ExecutorDeps,
  admitted: Run,
  control: Control,
  log: Logger,
): Promise<{ run: Run; plan: ReturnType<typeof planBatches> } | PhaseEnd> {
  let run = admitted;
  if (run.state === "admitted") {
    const planning = await admit(deps, run, log);
    if (planning === null) return "finish";
    run = planning;
  }
  if (run.operation === "purge") {
    return (await executePurgeRun(deps, run, control, log)) === "ended" ? "finish" : "leave";
  }
  const resumed = run.state !== "planning";
  const plan = planBatches(run.manifest as Manifest);
  if (run.state === "planning") run = await recordPlan(deps, run, plan, log);
  if (run.state !== "running" && run.state !== "paused") {
    return isTerminalState(run.state) ? "finish" : "leave";
  }
  if (purgesThenSeeds(run.operation)) {
    const purged = await purgeFirst(deps, run, control, log, resumed);
    if (purged !== "done") return purged;
  }
  return { run, plan };
}

/** A reseed's or drill's purge phase, before any of its seed phase is released; `done` once it closed. */
async function purgeFirst(
  deps: ExecutorDeps,
  run: Run,
  control: Control,
  log: Logger,
  resumed: boolean,
): Promise<PhaseEnd | "done"> {
  // A drill records what the tenant holds (the loss instant) before its purge is released.
  await recordLoss(drillDeps(deps, log), run);
  // Purge first, under the same lease; nothing of the seed phase is released before it closed.
  const outcome = await purgePhase(deps, run, control, log, resumed);
  if (outcome === "ended") return "finish";
  return outcome === "done" ? "done" : "leave";
}

/** Stores the plan's batches (reusing those a previous attempt stored) and moves the run to running. */
async function recordPlan(
  deps: ExecutorDeps,
  run: Run,
  plan: ReturnType<typeof planBatches>,
  log: Logger,
): Promise<Run> {
  const reused = await insertPlan(deps.sql, run, plan);
  log.info({ batches: plan.batches.length, reused, rows: plan.totalRows, dry_run: run.dryRun }, "run planned");
  return transition(deps, run, "running", { patch: { rowsPlanned: plan.totalRows } }, log);
}
