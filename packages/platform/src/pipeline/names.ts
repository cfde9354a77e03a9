import { type BatchMessage, batchSubject, checkpointSubject, DLQ_STREAM, PipelineStream } from "@semente/core/pipeline";
import { bool, int, str } from "../config/index.ts";

// Where the batch pipeline lives on the broker and how it delivers: modes, stream, consumer and
// subject names, delivery settings and their environment variables. streams.ts creates them.

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
