import { type BatchFailedMessage, decodeBatchFailed } from "@semente/core/pipeline";
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  type BrokerWatch,
  ensureRunEventsStream,
  RUN_EVENTS_ROOT,
  RUN_EVENTS_STREAM,
  type RunEventsOptions,
} from "@semente/platform/bus";
import type { Admission } from "@semente/platform/admission";
import type { Sql } from "@semente/platform/db";
import {
  createDlqEnricher,
  type DlqEnricher,
  type DlqRecord,
  decodePurged,
  type EnsurePipelineOptions,
  ensurePipelineStreams,
  type PipelineNames,
  purgedSubject,
  recordFromMsg,
} from "@semente/platform/pipeline";
import { decodeCheckpoint } from "@semente/core/pipeline";
import type { Counter, ExportGate, Logger } from "@semente/platform/telemetry";
import type { Tracer } from "@opentelemetry/api";
import { lastFailure, markDeadLettered, recordFailure } from "./batches.ts";
import { watchBroker } from "./broker-loss.ts";
import { ensureConsumer } from "./consumers.ts";
import { type ExecutorDeps, type RunHandle, startRun } from "./executor.ts";
import type { LeaseKeeper } from "./leases.ts";
import type { PreflightDeps } from "./preflight.ts";
import { failDeadPurge } from "./purge-phase.ts";
import { ReleaseBy } from "./release.ts";

/** Dependencies of {@link createPlanner}. */
export interface PlannerOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Control plane (semente_app). */
  sql: Sql;
  admission: Admission;
  leases: LeaseKeeper;
  preflight: PreflightDeps;
  pipeline: EnsurePipelineOptions;
  events: RunEventsOptions;
  log: Logger;
  /** @default the global tracer */
  tracer?: Tracer;
  /** `semente_runs_finished_total`. */
  runsFinished?: Counter;
  /** `semente_budget_alerts_total`. */
  budgetAlerts?: Counter;
  /** @default 3 */
  parallelism?: number;
  /** @default 500 */
  reconcileMs?: number;
  /** A purge phase with no chunk committed for this long is published again. @default 60_000 */
  purgeStallMs?: number;
  /** Load/DR release rule. @default ReleaseBy.level */
  releaseBy?: ReleaseBy;
  /** The planner's trace-export gate: required and down, it pauses running runs (T067). */
  telemetryGate?: Pick<ExportGate, "state">;
  /** A DR drill's verification: entities checked at once (one verifier connection each). @default 1 */
  verifyLanes?: number;
  /**
   * Period of the scan for admitted/planning/running runs nobody executes (resume, lost events).
   * @default 5_000
   */
  scanMs?: number;
  /**
   * How long NATS may stay unreachable before every run this planner executes fails with
   * `BROKER_LOST` (instead of staying `running` with nobody able to move it).
   * @default 60_000
   */
  brokerLossMs?: number;
}

/** The planner service core. */
export interface Planner {
  readonly names: PipelineNames;
  /** Runs executing in this process. */
  active(): string[];
  /** Looks for runs to execute now (also done periodically and on every admitted event). */
  scan(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const ADMITTED_CONSUMER = "planner-admitted";
const DLQ_RECORDS_CONSUMER = "planner-dlq-records";

/**
 * Builds the planner: consumes `seed.run.*.*.*.admitted`, resumes runs left in
 * admitted/planning/running (PostgreSQL is the source of truth; events only make it prompt),
 * executes each run, follows checkpoints and failures, and runs the DLQ enricher. One replica per
 * database: a second one would execute the same runs (harmless for the data, noisy for progress).
 */
export async function createPlanner(options: PlannerOptions): Promise<Planner> {
  const { nc, js, jsm, sql, log } = options;
  const names = await ensurePipelineStreams(jsm, options.pipeline);
  await ensureRunEventsStream(jsm, options.events);
  const runs = new Map<string, RunHandle>();
  const lastErrors = new Map<string, BatchFailedMessage>();
  const subs: Subscription[] = [];
  const pumps: Promise<void>[] = [];
  let running = false;
  let scanTimer: ReturnType<typeof setInterval> | undefined;
  const loops: Promise<void>[] = [];
  const iterators = new Set<{ stop(): void }>();
  let scanning: Promise<void> | undefined;

  const deps: ExecutorDeps = {
    sql,
    js,
    names,
    events: options.events,
    preflight: options.preflight,
    parallelism: options.parallelism ?? 3,
    reconcileMs: options.reconcileMs ?? 500,
    purgeStallMs: options.purgeStallMs,
    releaseBy: options.releaseBy ?? ReleaseBy.level,
    log,
    leases: options.leases,
    release: async (runId) => {
      await options.admission.release(runId);
    },
    tracer: options.tracer,
    runsFinished: options.runsFinished,
    budgetAlerts: options.budgetAlerts,
    telemetryGate: options.telemetryGate,
    verifyLanes: options.verifyLanes,
  };

  function launch(runId: string): void {
    if (!running || runs.has(runId)) return;
    const handle = startRun(deps, runId);
    runs.set(runId, handle);
    handle.done
      .catch((error) => log.error({ err: error, run: runId }, "run executor failed; the next scan resumes it"))
      .finally(() => runs.delete(runId));
  }

  async function scanOnce(): Promise<void> {
    const rows = await sql<{ id: string }[]>`
      SELECT id FROM seed.runs WHERE state IN ('admitted', 'planning', 'running', 'paused') ORDER BY created_at`;
    for (const { id } of rows) launch(id);
  }

  function scan(): Promise<void> {
    scanning ??= scanOnce().finally(() => {
      scanning = undefined;
    });
    return scanning;
  }

  /** Pulls `durable` on `stream` while running; a message is acked once `handle` returned. */
  async function pull(stream: string, durable: string, handle: (msg: JsMsg) => Promise<void>): Promise<void> {
    const consumer = await js.consumers.get(stream, durable);
    while (running) {
      try {
        const batch = await consumer.fetch({ max_messages: 32, expires: 2_000 });
        iterators.add(batch);
        for await (const msg of batch) {
          await handle(msg);
          msg.ack();
        }
        iterators.delete(batch);
      } catch (error) {
        log.warn({ err: error, stream, durable }, "pull failed; retrying (the periodic scan still finds runs)");
        if (running) await Bun.sleep(1_000);
      }
    }
  }

  async function onDeadLetter(record: DlqRecord): Promise<void> {
    log.error({ dlq_id: record.id, run: record.batch?.runId ?? record.purge?.runId }, "batch dead-lettered");
    if (record.purge !== null) {
      await failDeadPurge(deps, record.purge.runId, log);
      runs.get(record.purge.runId)?.wake();
      return;
    }
    if (record.batch === null) return;
    await markDeadLettered(sql, record.batch.runId, record.batch, record.lastError);
    runs.get(record.batch.runId)?.wake();
  }

  function subscribe(subject: string, handle: (data: Uint8Array) => Promise<void>): void {
    const sub = nc.subscribe(subject);
    subs.push(sub);
    const pump = async () => {
      for await (const m of sub) {
        try {
          await handle(m.data);
        } catch (error) {
          log.warn({ err: error, subject: m.subject }, "ignored an unreadable pipeline message");
        }
      }
    };
    pumps.push(pump());
  }

  const brokerWatch: BrokerWatch = watchBroker({
    nc,
    sql,
    log,
    admission: options.admission,
    boundMs: options.brokerLossMs ?? 60_000,
    wake: (runId) => runs.get(runId)?.wake(),
  });

  const enricher: DlqEnricher = createDlqEnricher({
    js,
    jsm,
    names,
    lastError: async (batch) => {
      const seen = lastErrors.get(`${batch.runId}:${batch.entity}:${batch.batchIndex}`);
      if (seen !== undefined) return seen;
      const stored = await lastFailure(sql, batch.runId, batch.entity, batch.batchIndex);
      return (stored ?? null) as BatchFailedMessage | null;
    },
    onDeadLetter,
    onError: (error) => log.warn({ err: error }, "DLQ enricher error"),
  });

  return {
    names,
    active: () => [...runs.keys()],
    scan,
    async start() {
      if (running) return;
      running = true;
      const eventsStream = options.events.streamName ?? RUN_EVENTS_STREAM;
      // seed.run.<env>.<tenant>.<run>.admitted: one filter subject (nats-server 2.9 has no multi-filter).
      await ensureConsumer(
        jsm,
        eventsStream,
        ADMITTED_CONSUMER,
        `${options.events.subjectPrefix ?? ""}${RUN_EVENTS_ROOT}.*.*.*.admitted`,
      );
      // Dead batch records, whoever stored them (the enricher, or a seeder whose run's retries ran out).
      // From the first record: one stored while no planner ran must still fail its run.
      await ensureConsumer(jsm, names.dlq, DLQ_RECORDS_CONSUMER, `${names.subjectPrefix}seed.dlq.>`, DeliverPolicy.All);
      subscribe(names.checkpointSubject("*"), async (data) => {
        const message = decodeCheckpoint(data);
        runs.get(message.runId)?.onCheckpoint(message);
      });
      subscribe(purgedSubject(names, "*"), async (data) => {
        runs.get(decodePurged(data).runId)?.wake();
      });
      subscribe(names.failedSubject("*"), async (data) => {
        const failure = decodeBatchFailed(data);
        lastErrors.set(`${failure.runId}:${failure.entity}:${failure.batchIndex}`, failure);
        runs.get(failure.runId)?.onFailure();
        await recordFailure(sql, failure.runId, failure, failure.attempt, failure);
      });
      enricher.start();
      brokerWatch.start();
      options.leases.start();
      loops.push(
        pull(eventsStream, ADMITTED_CONSUMER, async (msg) => {
          const id = (msg.json() as { run?: { id?: string } }).run?.id;
          if (typeof id === "string") launch(id);
        }),
        pull(names.dlq, DLQ_RECORDS_CONSUMER, (msg) => onDeadLetter(recordFromMsg(msg))),
      );
      await scan();
      scanTimer = setInterval(() => {
        scan().catch((error) => log.warn({ err: error }, "run scan failed"));
      }, options.scanMs ?? 5_000);
    },
    async stop() {
      running = false;
      clearInterval(scanTimer);
      await brokerWatch.stop();
      for (const it of iterators) it.stop();
      for (const sub of subs) sub.unsubscribe();
      await Promise.allSettled(pumps);
      for (const handle of runs.values()) handle.stop();
      await Promise.allSettled([...runs.values()].map((h) => h.done));
      await enricher.stop();
      await options.leases.stop();
      await Promise.allSettled(loops);
      await scanning;
    },
  };
}
