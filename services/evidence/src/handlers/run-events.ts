import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { RUN_EVENTS_STREAM, type RunEventPayload, subjects } from "@semente/platform/bus";
import { isSementeError } from "@semente/core/errors";
import type { EvidenceService, ProduceResult } from "@semente/platform/evidence";
import type { Sql } from "@semente/platform/db";
import {
  type Counter,
  extractTraceHeaders,
  inSpan,
  type Logger,
  RunSpan,
  recordRunSpan,
  SpanKind,
  sementeTracer,
  withLabels,
} from "@semente/platform/telemetry";
import type { Span, Tracer } from "@opentelemetry/api";

/** Run events that get evidence: every ending — failed, aborted and cancelled runs are reported too. */
export const EVIDENCE_EVENTS = ["completed", "failed", "aborted", "cancelled"] as const;

/** Options of {@link createRunEventsConsumer}. */
export interface RunEventsConsumerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  service: Pick<EvidenceService, "produce">;
  log: Logger;
  /** @default "SEED_RUNS" */
  streamName?: string;
  /** Prefix before `seed.run.` (tests isolate themselves with one). @default "" */
  subjectPrefix?: string;
  /** Durable consumer name. @default "evidence" */
  durableName?: string;
  /** Deliveries before JetStream gives up on an event (an advisory is published). @default 10 */
  maxDeliver?: number;
  /** Redelivery delay after a retryable failure, in ms. @default 5000 */
  retryDelayMs?: number;
  /** How long one pull waits for events, in ms (JetStream's minimum is 1000). @default 2000 */
  fetchExpiresMs?: number;
  /** Where the `evidence.build` span is recorded before the report is built (so the report names it). */
  sql?: Sql;
  /** @default the global tracer */
  tracer?: Tracer;
  /** `semente_evidence_reports_total{outcome}`. */
  reports?: Counter;
}

/** What happened to one event. */
export type EventOutcome = "ignored" | "malformed" | ProduceResult["status"] | "retry" | "rejected";

/** The durable consumer of run terminal events. */
export interface RunEventsConsumer {
  /** Creates the durable consumer if missing and starts pulling. */
  start(): Promise<void>;
  /** Stops pulling and waits for the event in hand. */
  stop(): Promise<void>;
  /** Handles one message (ack, nak or term); exposed for tests. */
  handle(msg: JsMsg): Promise<EventOutcome>;
  /** True while the pull loop runs. */
  readonly running: boolean;
}

/**
 * One durable pull consumer on `seed.run.>` (nats-server 2.9 has no multi-filter consumers), which
 * keeps `completed`, `failed`, `aborted` and `cancelled` in code and acks everything else. Each kept event calls
 * `produce(runId)`, which is idempotent, so redeliveries are harmless. Retryable failures (WORM,
 * Vault, database, broker) are nak'ed with a delay; permanent ones are terminated and logged.
 */
export function createRunEventsConsumer(options: RunEventsConsumerOptions): RunEventsConsumer {
  const stream = options.streamName ?? RUN_EVENTS_STREAM;
  const durable = options.durableName ?? "evidence";
  const prefix = options.subjectPrefix ?? "";
  const retryDelay = options.retryDelayMs ?? 5_000;
  const log = options.log;
  let running = false;
  let loop: Promise<void> | undefined;
  let current: { stop(): void } | undefined;

  const tracer = options.tracer ?? sementeTracer();
  const handle = async (msg: JsMsg): Promise<EventOutcome> => {
    const event = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
    if (!(EVIDENCE_EVENTS as readonly string[]).includes(event)) {
      msg.ack();
      return "ignored";
    }
    // A kept event in an `evidence.build` span, child of the span that published it (the planner's run).
    const parent = extractTraceHeaders(msg.headers);
    const outcome = await inSpan(tracer, RunSpan.evidence, { parent, kind: SpanKind.CONSUMER }, async (span) => {
      const result = await produceFor(msg, span);
      span.setAttribute("semente.outcome", result);
      return result;
    });
    options.reports?.inc({ outcome });
    return outcome;
  };

  const produceFor = async (msg: JsMsg, span: Span): Promise<EventOutcome> => {
    const runId = runIdOf(msg);
    if (runId === undefined) {
      // A payload we cannot read will never become readable: drop it, loudly.
      log.error({ subject: msg.subject }, "malformed run event terminated");
      msg.term();
      return "malformed";
    }
    try {
      span.setAttribute("semente.run_id", runId);
      if (options.sql !== undefined) await recordRunSpan(options.sql, runId, "evidence", RunSpan.evidence, span);
      const result = await options.service.produce(runId);
      msg.ack();
      return result.status;
    } catch (error) {
      return settleFailure(msg, runId, error);
    }
  };

  /** A failed report: retried later when the error is retryable (or unknown), else the event is dropped. */
  const settleFailure = (msg: JsMsg, runId: string, error: unknown): EventOutcome => {
    const code = isSementeError(error) ? error.code : "INTERNAL";
    const retryable = isSementeError(error) ? error.retryable : true;
    const labelled = withLabels(log, { run: runId });
    if (retryable) {
      labelled.warn({ code, deliveries: msg.info.deliveryCount }, "evidence failed; will retry");
      msg.nak(retryDelay);
      return "retry";
    }
    labelled.error({ code, err: error }, "evidence refused; event terminated");
    msg.term();
    return "rejected";
  };

  const run = async (): Promise<void> => {
    const consumer = await options.js.consumers.get(stream, durable);
    while (running) {
      try {
        const batch = await consumer.fetch({
          max_messages: 8,
          expires: Math.max(1_000, options.fetchExpiresMs ?? 2_000),
        });
        current = batch;
        for await (const msg of batch) await handle(msg);
      } catch (error) {
        log.error({ err: error }, "run events pull failed");
        if (running) await Bun.sleep(500);
      }
    }
  };

  return {
    handle,
    get running() {
      return running;
    },
    async start() {
      if (running) return;
      await options.jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subjects.allRunEvents(prefix),
        max_deliver: options.maxDeliver ?? 10,
        ack_wait: 120 * 1_000_000_000,
      });
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      current?.stop();
      await loop;
    },
  };
}

/** The run id of a run event; undefined when the payload cannot be read. */
function runIdOf(msg: JsMsg): string | undefined {
  try {
    const runId = msg.json<RunEventPayload>().run.id;
    if (typeof runId !== "string") throw new TypeError("run.id missing");
    return runId;
  } catch {
    return undefined;
  }
}
