import { headers as natsHeaders } from "@nats-io/transport-node";
import { appendAudit, type Sql, withTenant } from "@semente/platform/db";
import { datasetDigest } from "@semente/core/determinism";
import { isSementeError, SementeError, toProblem } from "@semente/core/errors";
import { digestHex } from "@semente/core/pipeline";
import { encodePurge, type PurgeMessage, purgeMsgId } from "@semente/platform/pipeline";
import { getRun, isTerminalState, type Run, transitionRun } from "@semente/platform/runs";
import { injectTraceHeaders, inSpan, type Logger, SpanKind, sementeTracer } from "@semente/platform/telemetry";
import type { ExecutorDeps } from "./executor.ts";
import { ACTOR, instance, publishEvent, transition } from "./run-state.ts";

/** How a purge phase ended for the executor. */
export type PhaseOutcome = "done" | "ended" | "stopped";

/** What the phase needs of the executor's control. */
export interface PhaseControl {
  isStopped(): boolean;
  wait(ms: number): Promise<void>;
}

function purgeMessage(run: Run): PurgeMessage {
  return {
    v: 1,
    kind: "purge",
    runId: run.id,
    environment: run.environment,
    tenant: run.tenantId,
    mode: run.mode,
  };
}

/** Publishes the run's purge phase on its mode's batch stream (the seeders' work queue). */
async function publishPurge(deps: ExecutorDeps, run: Run, republish?: string): Promise<void> {
  const message = purgeMessage(run);
  const attributes = { "semente.run_id": run.id, "semente.operation": run.operation, "messaging.system": "nats" };
  await inSpan(deps.tracer ?? sementeTracer(), "planner.publish_purge", { attributes, kind: SpanKind.PRODUCER }, () =>
    deps.js.publish(deps.names.batchSubject(message), encodePurge(message), {
      // A republish after a restart must not be swallowed by the duplicate window.
      msgID: republish === undefined ? purgeMsgId(message) : `${purgeMsgId(message)}:${republish}`,
      expect: { streamName: deps.names.streams[run.mode] },
      headers: injectTraceHeaders(natsHeaders()),
    }),
  );
}

/** Chunks the run's purge committed so far (`seed.purge_progress`, read under its tenant). */
async function chunksSoFar(sql: Sql, run: Run): Promise<number> {
  const [row] = await withTenant(
    sql,
    run.tenantId,
    (tx) => tx<{ n: number }[]>`select count(*)::int as n from seed.purge_progress where run_id = ${run.id}`,
    { readOnly: true },
  );
  return row?.n ?? 0;
}

/**
 * Drives the run's purge phase: publishes it (under a fresh id when this executor took over a
 * run already running — the broker may have lost it), then waits until the database shows it
 * closed (`purged_at`, set by the seeder through `seed.complete_purge`), the run ended (a cancel,
 * or the purge dead-lettered), or the executor stops. When no chunk was committed for
 * `purgeStallMs`, it is published again under a fresh id: a message the broker lost (it flushes
 * every 60 s) or one dropped as a copy by a seeder that then died is not waited for forever; a
 * copy arriving while a live seeder purges is dropped by it.
 */
export async function purgePhase(
  deps: ExecutorDeps,
  run: Run,
  control: PhaseControl,
  log: Logger,
  resumed: boolean,
): Promise<PhaseOutcome> {
  const now = deps.now ?? (() => performance.now());
  const stallMs = deps.purgeStallMs ?? 60_000;
  let publishedAt: number | undefined;
  let chunks = -1;
  while (!control.isStopped()) {
    const current = await getRun(deps.sql, run.id);
    if (current === null || isTerminalState(current.state)) return "ended";
    if (current.purgedAt !== null) {
      log.info({ rows_deleted: current.rowsDeleted }, "purge phase closed");
      return "done";
    }
    const seen = await chunksSoFar(deps.sql, current);
    if (seen !== chunks) {
      chunks = seen;
      if (publishedAt !== undefined) publishedAt = now();
    }
    if (publishedAt === undefined || now() - publishedAt >= stallMs) {
      const again = publishedAt !== undefined;
      await publishPurge(deps, current, resumed || again ? `re-${crypto.randomUUID()}` : undefined);
      publishedAt = now();
      log.info({ mode: current.mode, resumed, stalled: again, chunks }, "purge phase published");
    }
    await control.wait(deps.reconcileMs);
  }
  return "stopped";
}

/**
 * A purge run from `planning` on: running, its purge phase, then `completed` with the dataset
 * digest of the now-empty data (the digest of no batches) and no row written.
 */
export async function executePurgeRun(
  deps: ExecutorDeps,
  start: Run,
  control: PhaseControl,
  log: Logger,
): Promise<"ended" | "stopped"> {
  let run = start;
  const resumed = run.state !== "planning";
  if (run.state === "planning") run = await transition(deps, run, "running", { patch: { rowsPlanned: 0 } }, log);
  if (run.state !== "running") return isTerminalState(run.state) ? "ended" : "stopped";
  const outcome = await purgePhase(deps, run, control, log, resumed);
  if (outcome !== "done") return outcome;
  const current = (await getRun(deps.sql, run.id)) ?? run;
  const digest = datasetDigest([]);
  await transition(
    deps,
    current,
    "completed",
    {
      patch: { datasetDigest: digestHex(digest), rowsWritten: 0 },
      details: { dataset_digest: digest, rows_deleted: current.rowsDeleted },
    },
    log,
  );
  log.info({ rows_deleted: current.rowsDeleted, dataset_digest: digest }, "purge run completed");
  return "ended";
}

/**
 * A load/DR re-run (R6.6): the mode's previous dataset is purged first, in the same run, so the
 * run becomes a reseed before it is planned. Audited (`run.purge_first`).
 */
export async function markPurgeFirst(sql: Sql, run: Run): Promise<Run> {
  await sql.begin(async (tx) => {
    await tx`
      UPDATE seed.runs SET operation = 'reseed', updated_at = now(), etag_version = etag_version + 1
       WHERE id = ${run.id} AND operation = 'seed' AND state = 'admitted'`;
    await appendAudit(tx, {
      actor: ACTOR,
      action: "run.purge_first",
      outcome: "success",
      tenantId: run.tenantId,
      environment: run.environment,
      runId: run.id,
      details: { mode: run.mode, reason: "a previous dataset of this mode exists (R6.6)" },
    });
  });
  return (await getRun(sql, run.id)) ?? run;
}

/**
 * Fails a run whose purge phase exhausted its deliveries and went to the DLQ (nothing more is
 * deleted). Only a purge or reseed run has a purge phase: a dead purge message naming any other
 * run (forged, or stale) fails nothing.
 */
export async function failDeadPurge(deps: Pick<ExecutorDeps, "sql" | "js" | "events">, runId: string, log: Logger) {
  const run = await getRun(deps.sql, runId);
  if (run === null || run.operation === "seed") {
    log.warn(
      { run: runId, operation: run?.operation ?? null },
      "dead purge message of a run without a purge phase ignored",
    );
    return;
  }
  const error = new SementeError(
    "BATCH_DEAD_LETTERED",
    "the run's purge phase exhausted its deliveries and is in the DLQ",
    {
      extensions: { phase: "purge" },
    },
  );
  try {
    const failed = await transitionRun(deps.sql, runId, {
      to: "failed",
      reason: toProblem(error, instance(runId)),
      actor: ACTOR,
      details: { phase: "purge" },
    });
    await publishEvent(deps, failed, log);
    log.error({ run: runId }, "purge dead-lettered; run failed");
  } catch (failure) {
    if (!isSementeError(failure) || failure.code !== "INVALID_STATE") throw failure;
  }
}
