import { purgesThenSeeds } from "@semente/platform/lifecycle";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { RunEventsOptions } from "@semente/platform/bus";
import type { Sql } from "@semente/platform/db";
import { SementeError, toProblem } from "@semente/core/errors";
import { isWithinWindow, type Manifest } from "@semente/core/manifest";
import {
  type CheckpointMessage,
  createPacer,
  createSloGate,
  type PacingPlan,
  pacingPlan,
  planBatches,
  type TrackedBatch,
} from "@semente/core/pipeline";
import type { PipelineNames } from "@semente/platform/pipeline";
import { getRun, isTerminalState } from "@semente/platform/runs";
import {
  type Counter,
  contextFromTraceparent,
  inSpan,
  type Logger,
  RunSpan,
  recordRunSpan,
  runTraceparent,
  sementeTracer,
  withLabels,
} from "@semente/platform/telemetry";
import type { Tracer } from "@opentelemetry/api";
import { insertPlan, markPublished, reconcile, updateRowsWritten } from "./batches.ts";
import { publishBatch } from "./publish.ts";
import type { LeaseKeeper } from "./leases.ts";
import { pauseRun, resumeRun } from "./pauses.ts";
import { createRunBudget, type RunBudget } from "./budget.ts";
import type { PreflightDeps } from "./preflight.ts";
import { ReleaseBy, releasable } from "./release.ts";
import { admit } from "./admit.ts";
import { abortRun, budgetHalt, type Halt, sloHalt } from "./halts.ts";
import { executePurgeRun, purgePhase } from "./purge-phase.ts";
import { ACTOR, instance, publishEvent, transition } from "./run-state.ts";
import { completeRun, drillDeps } from "./complete.ts";
import { recordLoss } from "./drill.ts";

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

interface Control {
  isStopped(): boolean;
  wait(ms: number): Promise<void>;
  takeDryCommits(): CheckpointMessage[];
  /** Failed deliveries reported since the last call. */
  takeFailures(): number;
  /** Durations of the batches committed since the last call (the SLO gate's samples). */
  takeDurations(): number[];
}

async function execute(deps: ExecutorDeps, runId: string, control: Control): Promise<void> {
  let run = await getRun(deps.sql, runId);
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
    if (run.state === "admitted") {
      const planning = await admit(deps, run, log);
      if (planning === null) {
        await finish();
        return;
      }
      run = planning;
    }
    if (run.operation === "purge") {
      if ((await executePurgeRun(deps, run, control, log)) === "ended") await finish();
      return;
    }
    const resumed = run.state !== "planning";
    const plan = planBatches(run.manifest as Manifest);
    if (run.state === "planning") {
      const reused = await insertPlan(deps.sql, run, plan);
      log.info({ batches: plan.batches.length, reused, rows: plan.totalRows, dry_run: run.dryRun }, "run planned");
      run = await transition(deps, run, "running", { patch: { rowsPlanned: plan.totalRows } }, log);
    }
    if (run.state !== "running" && run.state !== "paused") {
      if (isTerminalState(run.state)) await finish();
      return;
    }
    if (purgesThenSeeds(run.operation)) {
      // A drill records what the tenant holds (the loss instant) before its purge is released.
      await recordLoss(drillDeps(deps, log), run);
      // Purge first, under the same lease; nothing of the seed phase is released before it closed.
      const outcome = await purgePhase(deps, run, control, log, resumed);
      if (outcome === "ended") await finish();
      if (outcome !== "done") return;
    }
    const manifest = run.manifest as Manifest;
    const pacing: PacingPlan = pacingPlan({
      targetRowsPerSecond: manifest.rate_limit.target_rows_per_second,
      capRowsPerSecond: manifest.rate_limit.cap_rows_per_second,
      batchRows: manifest.batch_size,
      maxInFlight: run.mode === "baseline" ? 1 : deps.parallelism,
    });
    const maxInFlight = pacing.maxInFlight;
    const now = deps.now ?? (() => performance.now());
    // One bucket per executor: a restart starts full again, which costs at most one batch of burst.
    const pacer = createPacer(pacing, now());
    log.info({ ...pacing }, "release paced");
    // A dry run writes nothing, so it spends nothing.
    const budget: RunBudget | undefined = run.dryRun
      ? undefined
      : await createRunBudget(
          {
            sql: deps.sql,
            js: deps.js,
            events: deps.events,
            model: deps.preflight.costModel,
            log,
            now,
            alerts: deps.budgetAlerts,
          },
          run,
        );
    const slo = createSloGate(manifest.slo);
    let halt: Halt | undefined;
    let first = true;
    let lastRows = -1;
    while (!control.isStopped()) {
      const current = await getRun(deps.sql, runId);
      if (current === null || isTerminalState(current.state)) {
        log.info({ state: current?.state }, "run ended elsewhere; publishing stopped");
        await finish();
        return;
      }
      run = current;
      const progress = await reconcile(deps.sql, run, plan, () => control.takeDryCommits());
      await budget?.accrue();
      await budget?.alertIfDue();
      const dead = progress.deadLettered();
      if (dead.length > 0) {
        const d = dead[0] as TrackedBatch;
        const error = new SementeError(
          "BATCH_DEAD_LETTERED",
          `batch ${d.entity}#${d.batchIndex} exhausted its deliveries and is in the DLQ`,
          { extensions: { entity: d.entity, batch_index: d.batchIndex, dead_batches: dead.length } },
        );
        log.error({ entity: d.entity, batch_index: d.batchIndex }, "batch dead-lettered; run fails closed");
        await transition(deps, run, "failed", { reason: toProblem(error, instance(run.id)) }, log);
        await finish();
        return;
      }
      if (progress.isComplete()) {
        await completeRun(deps, run, progress, log, control.isStopped);
        await finish();
        return;
      }
      // The window is checked on every pass: once it closes nothing new is released, the batches
      // in flight finish, then the run pauses (keeping its leases) until the window opens again.
      const at = deps.preflight.now();
      if (!isWithinWindow(manifest.window, at)) {
        if (run.state === "running" && progress.inFlight().length === 0) {
          run = await pauseRun(deps.sql, run, at, manifest.window, ACTOR);
          await publishEvent(deps, run, log);
          log.info({ window: manifest.window, rows: progress.rowsWritten() }, "window closed; run paused");
        }
        await control.wait(deps.reconcileMs);
        continue;
      }
      if (run.state === "paused") {
        run = await resumeRun(deps.sql, run, at, ACTOR);
        budget?.resumeClock();
        await publishEvent(deps, run, log);
        log.info({ window: manifest.window }, "window open; run resumed");
      }
      // After a restart the broker may have lost what was published (it syncs every 60 s):
      // republish what seed.batches says is in flight; a seeder acks a batch whose checkpoint
      // already exists without writing, so a double costs one lookup.
      if (first) {
        const attempt = `re-${crypto.randomUUID()}`;
        for (const b of progress.inFlight()) await publishBatch(deps, run, b, attempt);
        first = false;
      }
      const baseline = run.mode === "baseline";
      let nextWaitMs = deps.reconcileMs;
      const inFlight = progress.inFlight().map((b) => ({ entity: b.entity, rows: b.to - b.from }));
      for (const d of control.takeDurations()) slo.record(d);
      for (let n = control.takeFailures(); n > 0; n--) slo.recordFailure();
      const reading = slo.read();
      if (halt === undefined && reading.breached) halt = sloHalt(reading, manifest.slo);
      if (halt === undefined && budget !== undefined && budget.spent() >= budget.maxCost) halt = budgetHalt(budget);
      for (const b of halt === undefined
        ? releasable(progress, { baseline, maxInFlight, releaseBy: deps.releaseBy ?? ReleaseBy.level })
        : []) {
        // Fail-closed: a batch whose cost could take the run over its budget is never released.
        if (budget !== undefined && !budget.allows(b.entity, b.to - b.from, inFlight)) {
          halt = budgetHalt(budget);
          break;
        }
        if (!pacer.take(b.to - b.from, now())) {
          nextWaitMs = Math.min(nextWaitMs, Math.max(1, pacer.waitMs(b.to - b.from, now())));
          break;
        }
        await publishBatch(deps, run, b);
        await markPublished(deps.sql, run.id, b);
        inFlight.push({ entity: b.entity, rows: b.to - b.from });
      }
      if (halt !== undefined && inFlight.length === 0) {
        await abortRun(deps, run, halt, log);
        await finish();
        return;
      }
      const rows = progress.rowsWritten();
      if (rows !== lastRows) {
        await updateRowsWritten(deps.sql, run.id, rows);
        lastRows = rows;
      }
      await control.wait(nextWaitMs);
    }
  } catch (error) {
    log.error({ err: error }, "run execution interrupted; it resumes on the next pass");
    throw error;
  }
}
