import { encodeBatchFailed } from "@semente/core/pipeline";
import type { JsMsg } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import type { Sql } from "@semente/platform/db";
import { SementeError } from "@semente/core/errors";
import { purgeCompletedAt, purgeTenant } from "@semente/platform/lifecycle";
import {
  backoffDelay,
  classifyFailure,
  decodePurge,
  encodePurge,
  FailureAction,
  isPurgeMessage,
  NAK_BACKOFF,
  type PipelineNames,
  type PurgeMessage,
  purgedSubject,
} from "@semente/platform/pipeline";
import { isTerminalState, type RunState } from "@semente/platform/runs";
import { inSpan, type Logger, sementeTracer, withLabels } from "@semente/platform/telemetry";
import type { Tracer } from "@opentelemetry/api";
import { type BatchHandler, Disposition } from "./batch.ts";

/** Options of {@link createPurgeHandler}. */
export interface PurgeHandlerOptions {
  /** Data-plane pool (semente_seeder): every delete runs under RLS, bound to the run's purge. */
  sql: Sql;
  nc: NatsConnection;
  names: PipelineNames;
  log: Logger;
  /** `working()` period while the purge runs (below the consumer's ack wait). */
  heartbeatMs: number;
  /** Rows deleted per chunk transaction. */
  chunkRows: number;
  /** Redelivery delay of a purge that cannot succeed. @default 200 */
  poisonDelayMs?: number;
  /** @default the global tracer */
  tracer?: Tracer;
}

/** Delivery-level failure report on `seed.batch.failed.<run>` (entity `purge`): the DLQ's last error. */
function reportFailure(options: PurgeHandlerOptions, msg: PurgeMessage, attempt: number, error: unknown) {
  const failure = classifyFailure(error);
  const poison = failure.action === FailureAction.poison;
  try {
    const h = headers();
    h.set("Nats-Msg-Id", `failed:${msg.runId}:purge:${attempt}`);
    options.nc.publish(
      options.names.failedSubject(msg.runId),
      encodeBatchFailed({
        v: 1,
        runId: msg.runId,
        entity: "purge",
        batchIndex: 0,
        attempt,
        code: failure.problem.code,
        message: failure.problem.detail ?? failure.problem.title,
        retryable: !poison,
      }),
      { headers: h },
    );
  } catch (publishError) {
    options.log.warn({ err: publishError, run: msg.runId }, "purge failure report not published");
  }
  return { poison, code: failure.problem.code };
}

function announce(
  options: PurgeHandlerOptions,
  msg: PurgeMessage,
  rowsDeleted: number,
  duplicate: boolean,
  attempt: number,
) {
  try {
    options.nc.publish(
      purgedSubject(options.names, msg.runId),
      encodePurge({ v: 1, runId: msg.runId, rowsDeleted, duplicate, attempt }),
    );
  } catch (error) {
    // The phase is closed in PostgreSQL, which the planner polls; the notice only makes it prompt.
    options.log.warn({ err: error, run: msg.runId }, "purged notice not published");
  }
}

/** What {@link whileHeld} returns when another session holds the run's purge. */
const HELD = Symbol("held");

/**
 * Runs `fn` while this process holds the run's purge lock: a session advisory lock on a reserved
 * connection, which PostgreSQL frees when the session ends — a seeder killed midway releases it.
 * Two deliveries of one purge (a planner that restarted publishes it again) would otherwise race
 * through the entities, one deleting parents whose children the other has not reached yet.
 */
async function whileHeld<T>(sql: Sql, runId: string, fn: () => Promise<T>): Promise<T | typeof HELD> {
  const key = `semente/purge/${runId}`;
  const conn = await sql.reserve();
  try {
    const [row] = await conn<{ held: boolean }[]>`select pg_try_advisory_lock(hashtextextended(${key}, 0)) as held`;
    if (row?.held !== true) return HELD;
    try {
      return await fn();
    } finally {
      await conn`select pg_advisory_unlock(hashtextextended(${key}, 0))`;
    }
  } finally {
    conn.release();
  }
}

async function runState(sql: Sql, runId: string): Promise<RunState | null> {
  const [row] = await sql<{ state: RunState }[]>`select state from seed.seeder_run(${runId})`;
  return row?.state ?? null;
}

/**
 * One delivery of a run's purge phase: skip it when the run ended, the phase is already closed
 * (a redelivery) or another delivery of it is being worked on, else purge the tenant (`purgeTenant`: chunks in reverse FK order, each one
 * transaction bound to the run's purge, recorded in `seed.purge_progress`; the database closes the
 * phase only once nothing is left), ack, and announce it on `seed.purged.<run>`. A failure is
 * reported and nak'ed: a redelivery resumes from what is left; one that cannot succeed reaches
 * the consumer's max deliver and the DLQ, and the planner fails the run.
 */
export function createPurgeHandler(options: PurgeHandlerOptions): BatchHandler {
  const { sql } = options;
  const tracer = options.tracer ?? sementeTracer();
  return async (m: JsMsg) => {
    const attempt = m.info.deliveryCount;
    let msg: PurgeMessage;
    try {
      msg = decodePurge(m.data);
    } catch (error) {
      options.log.error({ err: error, seq: m.seq, attempt }, "undecodable purge message");
      m.nak(options.poisonDelayMs ?? 200);
      return Disposition.deadLettering;
    }
    const log = withLabels(options.log, { tenant: msg.tenant, environment: msg.environment, run: msg.runId });
    const beat = setInterval(() => m.working(), options.heartbeatMs);
    try {
      const state = await runState(sql, msg.runId);
      if (state === null || isTerminalState(state)) {
        m.ack();
        log.info({ state }, "purge skipped: the run is over");
        return Disposition.skipped;
      }
      if (state !== "running")
        throw new SementeError("INVALID_STATE", `run is ${state}, not running`, { retryable: true });
      const attributes = { "semente.run_id": msg.runId, "semente.mode": msg.mode, "semente.attempt": attempt };
      const result = await inSpan(tracer, "seeder.purge", { attributes }, () =>
        whileHeld(sql, msg.runId, () =>
          purgeTenant({
            sql,
            runId: msg.runId,
            tenantId: msg.tenant,
            environment: msg.environment,
            mode: msg.mode,
            chunkRows: options.chunkRows,
            onChunk: () => m.working(),
          }),
        ),
      );
      if (result === HELD) {
        // Another live delivery of this purge (a planner republished it) is working: its own
        // message stays unacked until it ends, and is redelivered if its seeder dies.
        m.ack();
        log.info({ attempt }, "purge skipped: another delivery of it holds the run's purge");
        return Disposition.skipped;
      }
      m.ack();
      announce(options, msg, result.rowsDeleted, result.alreadyComplete, attempt);
      log.info({ rows_deleted: result.rowsDeleted, duplicate: result.alreadyComplete, attempt }, "purge phase closed");
      return Disposition.acked;
    } catch (error) {
      return await settleFailure(options, m, msg, attempt, error, log);
    } finally {
      clearInterval(beat);
    }
  };
}

async function settleFailure(
  options: PurgeHandlerOptions,
  m: JsMsg,
  msg: PurgeMessage,
  attempt: number,
  error: unknown,
  log: Logger,
): Promise<Disposition> {
  // Closed by another delivery meanwhile (its binding now refuses ours): nothing left to do.
  const closed = await purgeCompletedAt(options.sql, msg.runId).catch(() => null);
  if (closed !== null) {
    m.ack();
    announce(options, msg, 0, true, attempt);
    return Disposition.acked;
  }
  const { poison, code } = reportFailure(options, msg, attempt, error);
  const delay = poison ? (options.poisonDelayMs ?? 200) : backoffDelay(attempt, NAK_BACKOFF);
  m.nak(Math.max(1, delay));
  log.warn({ err: error, code, attempt, poison, delayMs: delay }, "purge failed");
  return poison ? Disposition.deadLettering : Disposition.retried;
}

/** Routes each delivery of a batch stream: purge phases to `purge`, everything else to `batch`. */
export function routeWork(batch: BatchHandler, purge: BatchHandler): BatchHandler {
  return (m) => (isPurgeMessage(m.data) ? purge(m) : batch(m));
}
