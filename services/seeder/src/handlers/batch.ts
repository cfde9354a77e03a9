import { type BatchFailedMessage, encodeBatchFailed } from "@semente/core/pipeline";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { SementeError } from "@semente/core/errors";
import {
  type BatchWriter,
  backoffDelay,
  classifyFailure,
  FailureAction,
  NAK_BACKOFF,
  type PipelineNames,
  retriesExhausted,
  runBackoffDelay,
  storeDeadBatch,
} from "@semente/platform/pipeline";
import { type BatchMessage, decodeBatch, encodeMessage } from "@semente/core/pipeline";
import {
  type Counter,
  extractTraceHeaders,
  type Histogram,
  injectTraceHeaders,
  inSpan,
  type Logger,
  SpanKind,
  sementeTracer,
  withLabels,
} from "@semente/platform/telemetry";
import type { Tracer } from "@opentelemetry/api";
import type { FaultTarget } from "../config.ts";

/** What the handler did with one delivery. */
export const Disposition = {
  /** Committed (or found committed, or rolled back as a dry run) and acked. */
  acked: "acked",
  /** The run is terminal: acked without writing. */
  skipped: "skipped",
  /** Transient failure: nak'ed with a backoff delay. */
  retried: "retried",
  /** Poison: reported and nak'ed at once so that it reaches max deliveries and the advisory DLQ. */
  deadLettering: "dead_lettering",
  /** The run's `max_retries` are spent: stored in the DLQ by this seeder and acked off the work queue. */
  deadLettered: "dead_lettered",
} as const;
export type Disposition = (typeof Disposition)[keyof typeof Disposition];

/** Options of {@link createBatchHandler}. */
export interface BatchHandlerOptions {
  writer: BatchWriter;
  nc: NatsConnection;
  /** Stores batches whose run's retries are spent in the DLQ. */
  js: JetStreamClient;
  names: PipelineNames;
  log: Logger;
  /** `working()` period on the batch in hand, below the consumer's ack wait. */
  heartbeatMs: number;
  /** Test-only poison batch (SEEDER_FAULT_INJECTION + SEEDER_FAULT_ENTITY). */
  fault?: FaultTarget | undefined;
  /**
   * Redelivery delay of a poison batch. Short on purpose: a `term()` on nats-server 2.9 deletes a
   * work-queue message and emits no MAX_DELIVERIES advisory, so the DLQ could not fetch its
   * payload; the poison batch is instead driven to `max_deliver` quickly.
   * @default 200
   */
  poisonDelayMs?: number;
  /** @default the global tracer */
  tracer?: Tracer;
  /** SLIs: batch duration, rows written, deliveries by outcome. */
  metrics?: SeederMetrics;
}

/** The seeder's SLI instruments (`semente_batch_duration_seconds`, `semente_rows_written_total`, `semente_batches_total`). */
export interface SeederMetrics {
  batchDuration: Histogram;
  rowsWritten: Counter;
  batches: Counter;
}

/** Handles one delivery of a batch message. */
export type BatchHandler = (m: JsMsg) => Promise<Disposition>;

function withMsgId(id: string) {
  const h = headers();
  h.set("Nats-Msg-Id", id);
  // The active span (the batch's) travels with the notification.
  return injectTraceHeaders(h);
}

/**
 * One delivery: decode, (heartbeat while) write, then ack and publish `seed.checkpoint.<run>` (core
 * NATS: the planner reconciles from seed.checkpoints, so nothing depends on it arriving). Acks
 * only after the commit. Failures publish `seed.batch.failed.<run>` (the DLQ's last error). A
 * batch carrying its run's retry policy is nak'ed on that schedule and, once `maxRetries` are
 * spent, stored in the DLQ by this seeder and acked off the work queue; without one, transient failures are
 * nak'ed with full-jitter backoff and poison ones at once, towards the consumer's max deliver.
 */
export function createBatchHandler(options: BatchHandlerOptions): BatchHandler {
  const { writer, nc, js, names } = options;
  const poisonDelay = options.poisonDelayMs ?? 200;

  const reportFailure = (msg: BatchMessage, attempt: number, failure: BatchFailedMessage) => {
    try {
      nc.publish(names.failedSubject(msg.runId), encodeBatchFailed(failure), {
        headers: withMsgId(`failed:${msg.runId}:${msg.entity}:${msg.batchIndex}:${attempt}`),
      });
    } catch (error) {
      // Only the DLQ's "last error" is lost; the nak below still drives the batch there.
      options.log.warn({ err: error, run: msg.runId }, "batch failure report not published");
    }
  };

  const tracer = options.tracer ?? sementeTracer();
  /**
   * `seeder.consume` (CONSUMER, child of the planner's publish span carried in the message's
   * `traceparent`/`tracestate` headers) around the whole delivery.
   */
  return (m) => {
    const attributes = { "messaging.system": "nats", "semente.attempt": m.info.deliveryCount };
    const parent = extractTraceHeaders(m.headers);
    return inSpan(tracer, "seeder.consume", { parent, attributes, kind: SpanKind.CONSUMER }, async (span) => {
      const disposition = await handle(m);
      span.setAttribute("semente.disposition", disposition);
      return disposition;
    });
  };

  async function handle(m: JsMsg): Promise<Disposition> {
    const attempt = m.info.deliveryCount;
    let msg: BatchMessage;
    try {
      msg = decodeBatch(m.data);
    } catch (error) {
      options.log.error({ err: error, seq: m.seq, attempt }, "undecodable batch message");
      m.nak(poisonDelay);
      options.metrics?.batches.inc({ mode: "unknown", outcome: Disposition.deadLettering });
      return Disposition.deadLettering;
    }
    const counted = (outcome: Disposition): Disposition => {
      options.metrics?.batches.inc({ mode: msg.mode, outcome });
      return outcome;
    };
    const log = withLabels(options.log, { tenant: msg.tenant, environment: msg.environment, run: msg.runId });
    const beat = setInterval(() => m.working(), options.heartbeatMs);
    try {
      return counted(await deliver(m, msg, attempt, log));
    } catch (error) {
      return counted(await settleFailure(m, msg, attempt, log, error));
    } finally {
      clearInterval(beat);
    }
  }

  /** Writes the batch, acks it, and notifies its checkpoint. */
  async function deliver(m: JsMsg, msg: BatchMessage, attempt: number, log: Logger): Promise<Disposition> {
    const fault = options.fault;
    if (fault !== undefined && fault.entity === msg.entity && fault.batchIndex === msg.batchIndex) {
      throw new SementeError("INTERNAL", "injected fault (SEEDER_FAULT_ENTITY)");
    }
    // The SERIALIZABLE batch transaction (rows + checkpoint row). Attributes are ids and counts only.
    const batchAttributes = {
      "semente.run_id": msg.runId,
      "semente.entity": msg.entity,
      "semente.batch_index": msg.batchIndex,
      "semente.rows": msg.to - msg.from,
      "semente.attempt": attempt,
      "semente.mode": msg.mode,
      "semente.dry_run": msg.dryRun,
    };
    const result = await inSpan(tracer, "seeder.batch", { attributes: batchAttributes }, async (span) => {
      const written = await writer.write(msg, { attempt });
      span.setAttribute("semente.outcome", written.outcome);
      return written;
    });
    m.ack();
    if (result.outcome === "skipped") {
      log.info({ entity: msg.entity, batch: msg.batchIndex, state: result.state }, "batch skipped: run is terminal");
      return Disposition.skipped;
    }
    const cp = result.checkpoint;
    const labels = { entity: msg.entity, mode: msg.mode };
    if (result.outcome === "committed") {
      options.metrics?.batchDuration.observe(labels, cp.durationMs / 1000);
      options.metrics?.rowsWritten.inc(labels, cp.rows);
    }
    await inSpan(tracer, "seeder.checkpoint", { attributes: { "semente.outcome": result.outcome } }, async () => {
      try {
        nc.publish(names.checkpointSubject(msg.runId), encodeMessage(cp), {
          headers: withMsgId(`checkpoint:${msg.runId}:${msg.entity}:${msg.batchIndex}:${attempt}`),
        });
      } catch (error) {
        // The batch is committed and acked; the planner reconciles from seed.checkpoints, so a
        // lost notification only delays it.
        log.warn({ err: error, entity: msg.entity, batch: msg.batchIndex }, "checkpoint notification not published");
      }
    });
    log.info(
      {
        entity: msg.entity,
        batch: msg.batchIndex,
        rows: cp.rows,
        outcome: result.outcome,
        ms: Math.round(cp.durationMs),
        attempt,
        dry_run: msg.dryRun,
      },
      "batch done",
    );
    return Disposition.acked;
  }

  /**
   * A failed delivery: reports it, stores the batch in the DLQ once the run's retries are spent,
   * else naks it on the run's schedule (or with backoff, or at once for poison).
   */
  async function settleFailure(
    m: JsMsg,
    msg: BatchMessage,
    attempt: number,
    log: Logger,
    error: unknown,
  ): Promise<Disposition> {
    const failure = classifyFailure(error);
    const poison = failure.action === FailureAction.poison;
    const failed: BatchFailedMessage = {
      v: 1,
      runId: msg.runId,
      entity: msg.entity,
      batchIndex: msg.batchIndex,
      attempt,
      code: failure.problem.code,
      message: failure.problem.detail ?? failure.problem.title,
      retryable: !poison,
    };
    reportFailure(msg, attempt, failed);
    const labels = { entity: msg.entity, batch: msg.batchIndex, attempt, code: failure.problem.code, poison };
    if (msg.retry !== undefined && retriesExhausted(attempt, msg.retry)) {
      if (await deadLetter(m, attempt, failed, labels, log)) return Disposition.deadLettered;
    }
    const delay =
      msg.retry !== undefined
        ? runBackoffDelay(attempt, msg.retry, `${msg.runId}:${msg.entity}:${msg.batchIndex}`)
        : poison
          ? poisonDelay
          : backoffDelay(attempt, NAK_BACKOFF);
    m.nak(Math.max(1, delay));
    log.warn({ ...labels, delayMs: delay }, "batch failed");
    return poison ? Disposition.deadLettering : Disposition.retried;
  }

  /** Stores the batch in the DLQ and acks it off the work queue; false (and redelivered) when not stored. */
  async function deadLetter(
    m: JsMsg,
    attempt: number,
    failed: BatchFailedMessage,
    labels: Record<string, unknown>,
    log: Logger,
  ): Promise<boolean> {
    try {
      const seq = await storeDeadBatch(js, names, {
        stream: m.info.stream,
        seq: m.seq,
        subject: m.subject,
        data: m.data,
        deliveries: attempt,
        lastError: failed,
      });
      // Acked, not term()ed: nats-server 2.9 keeps a terminated message in the work queue;
      // the DLQ record now holds the batch.
      m.ack();
      log.error({ ...labels, dlq_seq: seq }, "batch dead-lettered: the run's max_retries are spent");
      return true;
    } catch (storeError) {
      // Not stored: keep the batch (the next delivery tries again, the consumer's max deliver
      // and its advisory DLQ remain the backstop).
      log.error({ ...labels, err: storeError }, "dead batch not stored in the DLQ; redelivering");
      return false;
    }
  }
}
