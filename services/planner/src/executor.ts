import type { JetStreamClient } from "@nats-io/jetstream";
import { publishRunEvent, type RunEventsOptions } from "@semente/shared/bus";
import { appendAudit, type Sql } from "@semente/shared/db";
import { isSementeError, SementeError, toProblem } from "@semente/shared/errors";
import type { Manifest } from "@semente/shared/manifest";
import {
  type BatchMessage,
  type BatchPlan,
  batchMsgId,
  type CheckpointMessage,
  digestHex,
  encodeMessage,
  type PipelineNames,
  planBatches,
  type RunProgress,
  type TrackedBatch,
} from "@semente/shared/pipeline";
import { getRun, isTerminalState, type Run, type RunState, transitionRun } from "@semente/shared/runs";
import { type Logger, withLabels } from "@semente/shared/telemetry";
import { insertPlan, loadProgress, markCommitted, markPublished, runCheckpoints } from "./batches.ts";
import type { LeaseKeeper } from "./leases.ts";
import { ABORT_CODES, type PreflightDeps, runPlannerPreflight } from "./preflight.ts";
import { ReleaseBy, releasable } from "./release.ts";

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
}

/** A run being executed. */
export interface RunHandle {
  readonly runId: string;
  /** Reconcile now (a checkpoint, a dead letter or a state change happened). */
  wake(): void;
  /** A checkpoint message of this run (dry runs have no checkpoint rows: this is their progress). */
  onCheckpoint(message: CheckpointMessage): void;
  /** Stops after the current step (shutdown); the run stays resumable. */
  stop(): void;
  readonly done: Promise<void>;
}

const ACTOR = "planner";
const instance = (runId: string) => `/api/v1/seed-runs/${runId}`;

/** Starts executing `runId` from whatever state the database holds (admitted, planning or running). */
export function startRun(deps: ExecutorDeps, runId: string): RunHandle {
  let stopped = false;
  let wakeUp: (() => void) | undefined;
  const dryCommits: CheckpointMessage[] = [];
  const control: Control = {
    isStopped: () => stopped,
    takeDryCommits: () => dryCommits.splice(0),
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
      wakeUp?.();
    },
    stop() {
      stopped = true;
      wakeUp?.();
    },
    done: execute(deps, runId, control),
  };
}

interface Control {
  isStopped(): boolean;
  wait(ms: number): Promise<void>;
  takeDryCommits(): CheckpointMessage[];
}

async function publishEvent(deps: ExecutorDeps, run: Run, log: Logger): Promise<void> {
  try {
    await publishRunEvent(deps.js, run, run.state, deps.events);
  } catch (error) {
    // PostgreSQL holds the state; a lost event only delays followers that poll.
    log.warn({ err: error, event: run.state }, "run event not published");
  }
}

/** Moves the run unless someone else (a cancel) moved it first; returns the current row. */
async function transition(
  deps: ExecutorDeps,
  run: Run,
  to: RunState,
  options: Omit<Parameters<typeof transitionRun>[2], "to" | "actor">,
  log: Logger,
): Promise<Run> {
  try {
    const next = await transitionRun(deps.sql, run.id, { ...options, to, actor: ACTOR });
    await publishEvent(deps, next, log);
    return next;
  } catch (error) {
    if (isSementeError(error) && error.code === "INVALID_STATE") return (await getRun(deps.sql, run.id)) ?? run;
    throw error;
  }
}

async function refuse(deps: ExecutorDeps, run: Run, error: unknown, log: Logger): Promise<void> {
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
    await publishEvent(deps, next as Run, log);
  } catch (failure) {
    if (!isSementeError(failure) || failure.code !== "INVALID_STATE") throw failure;
  }
}

function batchMessage(run: Run, b: TrackedBatch): BatchMessage {
  return {
    v: 1,
    runId: run.id,
    environment: run.environment,
    tenant: run.tenantId,
    mode: run.mode,
    dryRun: run.dryRun,
    manifestHash: run.manifestHash,
    keyVersion: run.keyVersion,
    entity: b.entity,
    batchIndex: b.batchIndex,
    level: b.level,
    planIndex: b.planIndex,
    from: b.from,
    to: b.to,
  };
}

async function publishBatch(deps: ExecutorDeps, run: Run, b: TrackedBatch, republish?: string): Promise<void> {
  const message = batchMessage(run, b);
  await deps.js.publish(deps.names.batchSubject(message), encodeMessage(message), {
    // A republish after a restart must not be swallowed by the duplicate window: a dry run has no
    // checkpoint row, so a batch done while the planner was down is only known by doing it again.
    msgID: republish === undefined ? batchMsgId(message) : `${batchMsgId(message)}:${republish}`,
    expect: { streamName: deps.names.streams[run.mode] },
  });
}

/** Folds this run's checkpoints (or, in a dry run, checkpoint messages) into seed.batches. */
async function reconcile(deps: ExecutorDeps, run: Run, plan: BatchPlan, control: Control): Promise<RunProgress> {
  const before = await loadProgress(deps.sql, run.id, plan);
  if (run.dryRun) {
    for (const m of control.takeDryCommits()) {
      const b = before.get(m.entity, m.batchIndex);
      if (b !== undefined && b.state !== "committed") await markCommitted(deps.sql, run.id, b, m.digest, m.rows);
    }
  } else {
    for (const c of await runCheckpoints(deps.sql, run)) {
      const b = before.get(c.entity, c.batch_index);
      if (b !== undefined && b.state !== "committed")
        await markCommitted(deps.sql, run.id, b, c.digest, Number(c.row_count));
    }
  }
  return loadProgress(deps.sql, run.id, plan);
}

async function updateRowsWritten(sql: Sql, runId: string, rows: number): Promise<void> {
  await sql`
    UPDATE seed.runs SET rows_written = ${rows}, updated_at = now(), etag_version = etag_version + 1
     WHERE id = ${runId} AND state = 'running' AND rows_written <> ${rows}`;
}

async function execute(deps: ExecutorDeps, runId: string, control: Control): Promise<void> {
  let run = await getRun(deps.sql, runId);
  if (run === null) return;
  const log = withLabels(deps.log, { tenant: run.tenantId, environment: run.environment, run: run.id });
  deps.leases.keep(run);
  const finish = async (): Promise<void> => {
    deps.leases.drop(runId);
    await deps.release(runId);
  };
  try {
    if (run.state === "admitted") {
      try {
        const report = await runPlannerPreflight(deps.preflight, run);
        await appendAudit(deps.sql, {
          actor: ACTOR,
          action: "preflight.pass",
          outcome: "success",
          tenantId: run.tenantId,
          environment: run.environment,
          runId: run.id,
          details: {
            dry_run: run.dryRun,
            role: report.role,
            checks: report.checks,
            rls: report.rls,
            key_version: report.keyVersion,
            cost: report.costEstimate,
          },
        });
      } catch (error) {
        await refuse(deps, run, error, log);
        await finish();
        return;
      }
      run = await transition(deps, run, "planning", {}, log);
    }
    const plan = planBatches(run.manifest as Manifest);
    if (run.state === "planning") {
      const reused = await insertPlan(deps.sql, run, plan);
      log.info({ batches: plan.batches.length, reused, rows: plan.totalRows, dry_run: run.dryRun }, "run planned");
      run = await transition(deps, run, "running", { patch: { rowsPlanned: plan.totalRows } }, log);
    }
    if (run.state !== "running") {
      if (isTerminalState(run.state)) await finish();
      return;
    }
    const maxInFlight = run.mode === "baseline" ? 1 : deps.parallelism;
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
      const progress = await reconcile(deps, run, plan, control);
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
        const digest = progress.datasetDigest();
        const rows = progress.rowsWritten();
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
        await finish();
        return;
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
      for (const b of releasable(progress, { baseline, maxInFlight, releaseBy: deps.releaseBy ?? ReleaseBy.level })) {
        await publishBatch(deps, run, b);
        await markPublished(deps.sql, run.id, b);
      }
      const rows = progress.rowsWritten();
      if (rows !== lastRows) {
        await updateRowsWritten(deps.sql, run.id, rows);
        lastRows = rows;
      }
      await control.wait(deps.reconcileMs);
    }
  } catch (error) {
    log.error({ err: error }, "run execution interrupted; it resumes on the next pass");
    throw error;
  }
}
