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
import { SementeError } from "@semente/core/errors";
import {
  PIPELINE_DEFAULTS,
  PIPELINE_MODES,
  type PipelineMode,
  type PipelineNames,
  type PipelineNatsOptions,
  type PipelineSettings,
  pipelineNames,
} from "./names.ts";

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
