/**
 * The seed phase of a run: the loop that reconciles progress from PostgreSQL, keeps the window,
 * the SLO and the budget, and releases batches paced until the run completes, fails or halts.
 */
import { SementeError, toProblem } from "@semente/core/errors";
import { type Entity, isWithinWindow, type Manifest } from "@semente/core/manifest";
import {
  type CheckpointMessage,
  createPacer,
  createSloGate,
  type Pacer,
  type PacingPlan,
  pacingPlan,
  type planBatches,
  type SloGate,
  type TrackedBatch,
} from "@semente/core/pipeline";
import { getRun, isTerminalState, type Run } from "@semente/platform/runs";
import type { Logger } from "@semente/platform/telemetry";
import { markPublished, reconcile, updateRowsWritten } from "./batches.ts";
import { createRunBudget, type RunBudget } from "./budget.ts";
import { completeRun } from "./complete.ts";
import type { ExecutorDeps } from "./executor.ts";
import { abortRun, budgetHalt, type Halt, sloHalt } from "./halts.ts";
import { type PauseReason, pauseRun, resumeRun } from "./pauses.ts";
import { publishBatch } from "./publish.ts";
import { ReleaseBy, releasable } from "./release.ts";
import { ACTOR, instance, publishEvent, transition } from "./run-state.ts";

/** How the executor's handle steers the loop. */
export interface Control {
  isStopped(): boolean;
  wait(ms: number): Promise<void>;
  takeDryCommits(): CheckpointMessage[];
  /** Failed deliveries reported since the last call. */
  takeFailures(): number;
  /** Durations of the batches committed since the last call (the SLO gate's samples). */
  takeDurations(): number[];
}

/** How a phase ended: `finish` (the run ended: free its leases) or `leave` (stopped; it stays resumable). */
export type PhaseEnd = "finish" | "leave";

type Plan = ReturnType<typeof planBatches>;
type Progress = Awaited<ReturnType<typeof reconcile>>["progress"];

/** The seed loop's state across passes. */
interface SeedLoop {
  deps: ExecutorDeps;
  control: Control;
  log: Logger;
  plan: Plan;
  manifest: Manifest;
  run: Run;
  maxInFlight: number;
  now: () => number;
  pacer: Pacer;
  budget: RunBudget | undefined;
  slo: SloGate;
  halt: Halt | undefined;
  /** The first pass republishes what is in flight. */
  first: boolean;
  lastRows: number;
}

/** Releases the run's batches until it completes, fails or halts (`finish`) or the executor stops (`leave`). */
export async function seedPhase(
  deps: ExecutorDeps,
  run: Run,
  plan: Plan,
  control: Control,
  log: Logger,
): Promise<PhaseEnd> {
  const manifest = run.manifest as Manifest;
  const pacing: PacingPlan = pacingPlan({
    targetRowsPerSecond: manifest.rate_limit.target_rows_per_second,
    capRowsPerSecond: manifest.rate_limit.cap_rows_per_second,
    batchRows: manifest.batch_size,
    maxInFlight: run.mode === "baseline" ? 1 : deps.parallelism,
  });
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
  const loop: SeedLoop = {
    deps,
    control,
    log,
    plan,
    manifest,
    run,
    maxInFlight: pacing.maxInFlight,
    now,
    pacer,
    budget,
    slo: createSloGate(manifest.slo),
    halt: undefined,
    first: true,
    lastRows: -1,
  };
  while (!control.isStopped()) {
    const next = await seedPass(loop);
    if (next === "finish") return "finish";
    await control.wait(next);
  }
  return "leave";
}

/** One pass: `finish` when the run ended, else how long to wait before the next pass. */
async function seedPass(loop: SeedLoop): Promise<"finish" | number> {
  const { deps, control, log, manifest } = loop;
  const current = await getRun(deps.sql, loop.run.id);
  if (current === null || isTerminalState(current.state)) {
    log.info({ state: current?.state }, "run ended elsewhere; publishing stopped");
    return "finish";
  }
  loop.run = current;
  const { progress, committed } = await reconcile(deps.sql, loop.run, loop.plan, () => control.takeDryCommits());
  await loop.budget?.accrue(committed);
  await loop.budget?.alertIfDue();
  if (await failedByDeadBatch(loop, progress)) return "finish";
  if (progress.isComplete()) {
    await completeRun(deps, loop.run, progress, log, control.isStopped);
    return "finish";
  }
  // The holds are checked on every pass: once one holds nothing new is released, the batches
  // in flight finish, then the run pauses (keeping its leases) until nothing holds it.
  const at = deps.preflight.now();
  const reason = holdReason(loop, at);
  if (reason !== undefined) {
    if (loop.run.state === "running" && progress.inFlight().length === 0) {
      loop.run = await pauseRun(deps.sql, loop.run, at, { reason, window: manifest.window }, ACTOR);
      await publishEvent(deps, loop.run, log);
      log.info({ reason, window: manifest.window, rows: progress.rowsWritten() }, `${HELD[reason]}; run paused`);
    }
    return deps.reconcileMs;
  }
  if (loop.run.state === "paused") {
    loop.run = await resumeRun(deps.sql, loop.run, at, ACTOR);
    loop.budget?.resumeClock();
    await publishEvent(deps, loop.run, log);
    log.info({ window: manifest.window }, "nothing holds the run; resumed");
  }
  // After a restart the broker may have lost what was published (it syncs every 60 s):
  // republish what seed.batches says is in flight; a seeder acks a batch whose checkpoint
  // already exists without writing, so a double costs one lookup.
  if (loop.first) {
    const attempt = `re-${crypto.randomUUID()}`;
    for (const b of progress.inFlight()) await publishBatch(deps, loop.run, b, attempt);
    loop.first = false;
  }
  return releaseBatches(loop, progress);
}

const HELD: Record<PauseReason, string> = {
  window: "window closed",
  telemetry: "trace export down past its bound",
};

/**
 * What holds the run now, if anything: its window closed, or — where telemetry is required —
 * the planner's own trace export down past its bound (T067: no governed run goes on unobserved).
 */
function holdReason(loop: SeedLoop, at: Date): PauseReason | undefined {
  if (!isWithinWindow(loop.manifest.window, at)) return "window";
  const gate = loop.deps.telemetryGate?.state();
  if (gate?.required === true && gate.status === "down") return "telemetry";
  return undefined;
}

/** A dead-lettered batch fails the run closed; true when it did. */
async function failedByDeadBatch(loop: SeedLoop, progress: Progress): Promise<boolean> {
  const dead = progress.deadLettered();
  if (dead.length === 0) return false;
  const d = dead[0] as TrackedBatch;
  const error = new SementeError(
    "BATCH_DEAD_LETTERED",
    `batch ${d.entity}#${d.batchIndex} exhausted its deliveries and is in the DLQ`,
    { extensions: { entity: d.entity, batch_index: d.batchIndex, dead_batches: dead.length } },
  );
  loop.log.error({ entity: d.entity, batch_index: d.batchIndex }, "batch dead-lettered; run fails closed");
  await transition(loop.deps, loop.run, "failed", { reason: toProblem(error, instance(loop.run.id)) }, loop.log);
  return true;
}

/**
 * Releases what the plan, the pacer and the budget allow, unless the SLO or the budget halted the
 * run (then it aborts once nothing is in flight); records the rows written. `finish` when the run
 * aborted, else how long to wait.
 */
async function releaseBatches(loop: SeedLoop, progress: Progress): Promise<"finish" | number> {
  const inFlight = progress.inFlight().map((b) => ({ entity: b.entity, rows: b.to - b.from }));
  updateHalt(loop);
  const nextWaitMs = loop.halt === undefined ? await releaseAllowed(loop, progress, inFlight) : loop.deps.reconcileMs;
  if (loop.halt !== undefined && inFlight.length === 0) {
    await abortRun(loop.deps, loop.run, loop.halt, loop.log);
    return "finish";
  }
  const rows = progress.rowsWritten();
  if (rows !== loop.lastRows) {
    await updateRowsWritten(loop.deps.sql, loop.run.id, rows);
    loop.lastRows = rows;
  }
  return nextWaitMs;
}

/** Feeds the SLO gate the durations and failures reported since the last pass; halts on a breach or a spent budget. */
function updateHalt(loop: SeedLoop): void {
  const { control, budget } = loop;
  for (const d of control.takeDurations()) loop.slo.record(d);
  for (let n = control.takeFailures(); n > 0; n--) loop.slo.recordFailure();
  const reading = loop.slo.read();
  if (loop.halt === undefined && reading.breached) loop.halt = sloHalt(reading, loop.manifest.slo);
  if (loop.halt === undefined && budget !== undefined && budget.spent() >= budget.maxCost)
    loop.halt = budgetHalt(budget);
}

/**
 * Publishes the releasable batches while the budget allows each and the pacer has tokens (a batch
 * the budget refuses halts the run); returns how long to wait before the next pass.
 */
async function releaseAllowed(
  loop: SeedLoop,
  progress: Progress,
  inFlight: { entity: Entity; rows: number }[],
): Promise<number> {
  const { deps, pacer, now, budget } = loop;
  const baseline = loop.run.mode === "baseline";
  const releaseBy = deps.releaseBy ?? ReleaseBy.level;
  for (const b of releasable(progress, { baseline, maxInFlight: loop.maxInFlight, releaseBy })) {
    // Fail-closed: a batch whose cost could take the run over its budget is never released.
    if (budget !== undefined && !budget.allows(b.entity, b.to - b.from, inFlight)) {
      loop.halt = budgetHalt(budget);
      break;
    }
    if (!pacer.take(b.to - b.from, now())) {
      return Math.min(deps.reconcileMs, Math.max(1, pacer.waitMs(b.to - b.from, now())));
    }
    await publishBatch(deps, loop.run, b);
    await markPublished(deps.sql, loop.run.id, b);
    inFlight.push({ entity: b.entity, rows: b.to - b.from });
  }
  return deps.reconcileMs;
}
