import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  type StreamConfig,
  StorageType,
} from "@nats-io/jetstream";
import { bool, int, str } from "../config/index.ts";
import { SementeError } from "@semente/core/errors";
import { type BatchMessage, batchSubject, checkpointSubject, DLQ_STREAM, PipelineStream } from "@semente/core/pipeline";

/** A seeding mode, as the stream and consumer names know it. */
export type PipelineMode = keyof typeof PipelineStream;

/** The modes, in a fixed order. */
export const PIPELINE_MODES = ["baseline", "load", "dr"] as const satisfies readonly PipelineMode[];

/** Where the pipeline lives on the broker; tests isolate themselves with prefixes. */
export interface PipelineNatsOptions {
  /**
   * Prefix of stream names (`<prefix>SEED_BASELINE`, `<prefix>SEED_DLQ`).
   * @default ""
   */
  namePrefix?: string;
  /**
   * Prefix of every subject, before `seed.` (two streams may not share subjects).
   * @default ""
   */
  subjectPrefix?: string;
  /**
   * Replicas of every pipeline stream (`NATS_REPLICAS`; 3 on a three-node cluster).
   * @default 1
   */
  replicas?: number;
}

/**
 * Delivery settings of the seeders' durable consumers, in one place. The planner and every seeder
 * call {@link ensurePipelineStreams} with the same values (from {@link PIPELINE_VARS}).
 */
export interface PipelineSettings {
  /**
   * How long a seeder may hold a batch without acking (it calls `msg.working()` on long batches);
   * a crashed seeder's batch is redelivered after it.
   * @default 30_000
   */
  ackWaitMs: number;
  /**
   * Deliveries before the broker gives up and emits the MAX_DELIVERIES advisory (the DLQ).
   * @default 5
   */
  maxDeliver: number;
  /**
   * Messages the broker keeps unacknowledged per consumer (across all seeders).
   * @default 64
   */
  maxAckPending: number;
  /**
   * De-duplication window of `Nats-Msg-Id` on the batch streams.
   * @default 120_000
   */
  duplicateWindowMs: number;
  /**
   * How long dead batches stay in `SEED_DLQ`.
   * @default 30 days
   */
  dlqMaxAgeMs: number;
}

/** Default {@link PipelineSettings}. */
export const PIPELINE_DEFAULTS: Readonly<PipelineSettings> = {
  ackWaitMs: 30_000,
  maxDeliver: 5,
  maxAckPending: 64,
  duplicateWindowMs: 120_000,
  dlqMaxAgeMs: 30 * 86_400_000,
};

/** Environment variables of the pipeline, shared by the planner, the seeders and the CLI. */
export const PIPELINE_VARS = {
  PIPELINE_NATS_NAME_PREFIX: str("Prefix of the pipeline stream names (isolates test stacks)", ""),
  PIPELINE_NATS_SUBJECT_PREFIX: str("Prefix of the pipeline subjects, before `seed.` (isolates test stacks)", ""),
  PIPELINE_ACK_WAIT_MS: int(
    "Ack wait of a batch before redelivery",
    String(PIPELINE_DEFAULTS.ackWaitMs),
    1_000,
    600_000,
  ),
  PIPELINE_MAX_DELIVER: int(
    "Deliveries of a batch before it goes to the DLQ",
    String(PIPELINE_DEFAULTS.maxDeliver),
    2,
    20,
  ),
  PIPELINE_UPDATE_CONSUMERS: bool("Update existing consumers whose settings differ", "true"),
} as const;

/** Every name and subject of the pipeline under one set of prefixes. */
export interface PipelineNames {
  namePrefix: string;
  subjectPrefix: string;
  /** Work-queue stream per mode. */
  streams: Record<PipelineMode, string>;
  /** Durable pull consumer per mode, shared by all seeders. */
  consumers: Record<PipelineMode, string>;
  /** The dead-letter stream. */
  dlq: string;
  /** Durable consumer of the DLQ enricher (advisories → dead batch records). */
  dlqEnricher: string;
  /** Subjects a batch stream captures: `<p>seed.batch.<mode>.>`. */
  batchWildcard(mode: PipelineMode): string;
  /** Subject of one batch. */
  batchSubject(m: Pick<BatchMessage, "mode" | "environment" | "tenant" | "runId">): string;
  /** Core subject of a run's checkpoints: `<p>seed.checkpoint.<run>`. */
  checkpointSubject(runId: string): string;
  /** Core subject a seeder reports a failed attempt on: `<p>seed.batch.failed.<run>`. */
  failedSubject(runId: string): string;
  /** Subject of a dead batch record: `<p>seed.dlq.<stream>.<seq>`. */
  dlqSubject(stream: string, seq: number): string;
  /** Advisory subject of exhausted deliveries of one mode's consumer. */
  maxDeliveriesAdvisory(mode: PipelineMode): string;
}

/** Names and subjects under the given prefixes. */
export function pipelineNames(options: PipelineNatsOptions = {}): PipelineNames {
  const n = options.namePrefix ?? "";
  const s = options.subjectPrefix ?? "";
  const streams = {
    baseline: `${n}${PipelineStream.baseline}`,
    load: `${n}${PipelineStream.load}`,
    dr: `${n}${PipelineStream.dr}`,
  };
  const consumers = { baseline: "seeders-baseline", load: "seeders-load", dr: "seeders-dr" };
  return {
    namePrefix: n,
    subjectPrefix: s,
    streams,
    consumers,
    dlq: `${n}${DLQ_STREAM}`,
    dlqEnricher: "dlq-enricher",
    batchWildcard: (mode) => `${s}seed.batch.${mode}.>`,
    batchSubject: (m) => `${s}${batchSubject(m)}`,
    checkpointSubject: (runId) => `${s}${checkpointSubject(runId)}`,
    failedSubject: (runId) => `${s}seed.batch.failed.${runId}`,
    dlqSubject: (stream, seq) => `${s}seed.dlq.${stream}.${seq}`,
    maxDeliveriesAdvisory: (mode) => `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${streams[mode]}.${consumers[mode]}`,
  };
}

const MS = 1_000_000;

/** Redelivery delays after an ack timeout: ack wait, then doubling, one per retry. */
export function backoffMs(settings: Pick<PipelineSettings, "ackWaitMs" | "maxDeliver">): number[] {
  return Array.from({ length: settings.maxDeliver - 1 }, (_, i) => settings.ackWaitMs * Math.min(2 ** i, 8));
}

function batchStreamConfig(
  names: PipelineNames,
  mode: PipelineMode,
  settings: PipelineSettings,
  replicas: number,
): Partial<StreamConfig> & { name: string } {
  return {
    name: names.streams[mode],
    subjects: [names.batchWildcard(mode)],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.Old,
    duplicate_window: settings.duplicateWindowMs * MS,
    num_replicas: replicas,
  };
}

function dlqStreamConfig(
  names: PipelineNames,
  settings: PipelineSettings,
  replicas: number,
): Partial<StreamConfig> & { name: string } {
  return {
    name: names.dlq,
    subjects: [...PIPELINE_MODES.map((m) => names.maxDeliveriesAdvisory(m)), `${names.subjectPrefix}seed.dlq.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: settings.dlqMaxAgeMs * MS,
    duplicate_window: settings.duplicateWindowMs * MS,
    num_replicas: replicas,
  };
}

function seederConsumerConfig(names: PipelineNames, mode: PipelineMode, settings: PipelineSettings): ConsumerConfig {
  return {
    durable_name: names.consumers[mode],
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: settings.ackWaitMs * MS,
    max_deliver: settings.maxDeliver,
    backoff: backoffMs(settings).map((ms) => ms * MS),
    max_ack_pending: settings.maxAckPending,
    filter_subject: names.batchWildcard(mode),
  } as ConsumerConfig;
}

function enricherConsumerConfig(names: PipelineNames, settings: PipelineSettings): ConsumerConfig {
  return {
    durable_name: names.dlqEnricher,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: settings.ackWaitMs * MS,
    max_deliver: -1,
    filter_subject: "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>",
  } as ConsumerConfig;
}

const STREAM_NOT_FOUND = 10059;
const STREAM_EXISTS = 10058;
const CONSUMER_NOT_FOUND = 10014;
const CONSUMER_EXISTS = 10148;

function unavailable(cause: unknown, what: string): SementeError {
  if (cause instanceof SementeError) return cause;
  return new SementeError("UNAVAILABLE", `JetStream refused ${what}`, { cause, retryable: true });
}

/** Waits (≤ 30 s) until every replica of a re-scaled stream is current: its consumers answer only then. */
async function waitForPeers(jsm: JetStreamManager, name: string, replicas: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const cluster = (await jsm.streams.info(name)).cluster;
    const peers = cluster?.replicas ?? [];
    if (cluster?.leader !== undefined && peers.length >= replicas - 1 && peers.every((p) => p.current)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new SementeError("UNAVAILABLE", `stream ${name} did not reach ${replicas} current replicas`, {
    retryable: true,
  });
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  const name = config.name as string;
  try {
    const info = await jsm.streams.info(name);
    const want = new Set(config.subjects);
    const have = new Set(info.config.subjects ?? []);
    const replicas = config.num_replicas ?? info.config.num_replicas;
    if (want.size !== have.size || [...want].some((s) => !have.has(s)) || replicas !== info.config.num_replicas) {
      // A stream made before NATS_REPLICAS was raised is scaled up in place (clustered servers only).
      await jsm.streams.update(name, { ...info.config, subjects: config.subjects ?? [], num_replicas: replicas });
      if (replicas !== info.config.num_replicas) await waitForPeers(jsm, name, replicas);
    }
    return;
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== STREAM_NOT_FOUND) throw unavailable(error, name);
  }
  try {
    await jsm.streams.add(config);
  } catch (error) {
    // Another process created it between our info and add: the outcome we wanted.
    if (error instanceof JetStreamApiError && error.code === STREAM_EXISTS) return;
    throw unavailable(error, name);
  }
}

function differs(want: ConsumerConfig, have: ConsumerConfig): boolean {
  const keys = ["ack_wait", "max_deliver", "max_ack_pending", "filter_subject"] as const;
  if (keys.some((k) => want[k] !== undefined && want[k] !== have[k])) return true;
  return JSON.stringify(want.backoff ?? []) !== JSON.stringify(have.backoff ?? []);
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: ConsumerConfig,
  update: boolean,
): Promise<void> {
  const name = config.durable_name as string;
  try {
    const info = await jsm.consumers.info(stream, name);
    if (update && differs(config, info.config)) {
      const { durable_name: _d, deliver_policy: _p, ...mutable } = config;
      await jsm.consumers.update(stream, name, mutable);
    }
    return;
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== CONSUMER_NOT_FOUND) {
      throw unavailable(error, `${stream}/${name}`);
    }
  }
  try {
    await jsm.consumers.add(stream, config);
  } catch (error) {
    // A concurrent start-up created the same durable first.
    if (error instanceof JetStreamApiError && error.code === CONSUMER_EXISTS) return;
    throw unavailable(error, `${stream}/${name}`);
  }
}

/** Options of {@link ensurePipelineStreams}. */
export interface EnsurePipelineOptions extends PipelineNatsOptions {
  /** Overrides of {@link PIPELINE_DEFAULTS}. */
  settings?: Partial<PipelineSettings>;
  /**
   * Update an existing consumer whose delivery settings differ from these.
   * @default true
   */
  updateConsumers?: boolean;
}

/**
 * Creates, idempotently, the work-queue stream and the seeders' durable pull consumer of each mode,
 * the `SEED_DLQ` stream (MAX_DELIVERIES advisories of those consumers plus `seed.dlq.>` records)
 * and the DLQ enricher's consumer. Only settings nats-server 2.9 understands are used. A poison
 * batch must be nak'ed up to `maxDeliver`, never `term()`ed: on a work queue a term deletes the
 * message and emits no MAX_DELIVERIES advisory, so the DLQ could not recover its payload.
 */
export async function ensurePipelineStreams(
  jsm: JetStreamManager,
  options: EnsurePipelineOptions = {},
): Promise<PipelineNames> {
  const names = pipelineNames(options);
  const settings: PipelineSettings = { ...PIPELINE_DEFAULTS, ...options.settings };
  if (!Number.isInteger(settings.maxDeliver) || settings.maxDeliver < 2) {
    throw new SementeError("CONFIG_INVALID", "maxDeliver must be an integer ≥ 2");
  }
  const update = options.updateConsumers ?? true;
  const replicas = options.replicas ?? 1;
  for (const mode of PIPELINE_MODES) {
    await ensureStream(jsm, batchStreamConfig(names, mode, settings, replicas));
    await ensureConsumer(jsm, names.streams[mode], seederConsumerConfig(names, mode, settings), update);
  }
  await ensureStream(jsm, dlqStreamConfig(names, settings, replicas));
  await ensureConsumer(jsm, names.dlq, enricherConsumerConfig(names, settings), update);
  return names;
}

/** Pipeline options from {@link PIPELINE_VARS} values. */
export function pipelineOptionsFromVars(vars: {
  PIPELINE_NATS_NAME_PREFIX: string;
  PIPELINE_NATS_SUBJECT_PREFIX: string;
  PIPELINE_ACK_WAIT_MS: number;
  PIPELINE_MAX_DELIVER: number;
  PIPELINE_UPDATE_CONSUMERS: boolean;
  NATS_REPLICAS?: number;
}): EnsurePipelineOptions {
  return {
    replicas: vars.NATS_REPLICAS ?? 1,
    namePrefix: vars.PIPELINE_NATS_NAME_PREFIX,
    subjectPrefix: vars.PIPELINE_NATS_SUBJECT_PREFIX,
    settings: { ackWaitMs: vars.PIPELINE_ACK_WAIT_MS, maxDeliver: vars.PIPELINE_MAX_DELIVER },
    updateConsumers: vars.PIPELINE_UPDATE_CONSUMERS,
  };
}
