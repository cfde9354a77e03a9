import { FormatRegistry, type Static, Type } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { SementeError } from "../errors/index.ts";

// TypeBox rejects every value of a format nobody registered: `runId` is declared a uuid.
if (!FormatRegistry.Has("uuid")) {
  FormatRegistry.Set("uuid", (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v));
}

/** Stream per mode (work queue); `SEED_DLQ` holds dead batches. */
export const PipelineStream = {
  /** Baseline batches: sequential per tenant. */
  baseline: "SEED_BASELINE",
  /** Load (*carga*) batches: parallel by entity, 2–4 in flight. */
  load: "SEED_LOAD",
  /** Disaster-recovery drill batches: parallel by entity, 2–4 in flight. */
  dr: "SEED_DR",
} as const;
export type PipelineStream = (typeof PipelineStream)[keyof typeof PipelineStream];

export const DLQ_STREAM = "SEED_DLQ";

/** Subject of a batch: `seed.batch.<mode>.<env>.<tenant>.<run>`. */
export function batchSubject(m: Pick<BatchMessage, "mode" | "environment" | "tenant" | "runId">): string {
  return `seed.batch.${m.mode}.${m.environment}.${m.tenant}.${m.runId}`;
}

/** Subject a seeder publishes after committing a batch: `seed.checkpoint.<run>`. */
export function checkpointSubject(runId: string): string {
  return `seed.checkpoint.${runId}`;
}

/** One unit of work: rows [from, to) of one entity of one run. Everything else comes from seed.runs. */
export const BatchMessageSchema = Type.Object(
  {
    v: Type.Literal(1),
    runId: Type.String({ format: "uuid" }),
    environment: Type.String(),
    tenant: Type.String(),
    mode: Type.Union([Type.Literal("baseline"), Type.Literal("load"), Type.Literal("dr")]),
    dryRun: Type.Boolean(),
    manifestHash: Type.String(),
    keyVersion: Type.Integer({ minimum: 1 }),
    entity: Type.String(),
    /** Index of the batch within its entity. */
    batchIndex: Type.Integer({ minimum: 0 }),
    /** FK level: every batch of level n commits before any batch of level n+1 is published. */
    level: Type.Integer({ minimum: 0 }),
    /** Position in plan order; the dataset digest combines batch digests in this order. */
    planIndex: Type.Integer({ minimum: 0 }),
    from: Type.Integer({ minimum: 0 }),
    to: Type.Integer({ minimum: 1 }),
    /** W3C trace context of the run, propagated to the seeder's spans. */
    traceparent: Type.Optional(Type.String()),
    /**
     * The run's `rate_limit.backoff` (issue 12): redelivery delays of this batch and the retries
     * before the seeder dead-letters it. Absent: the pipeline defaults (`NAK_BACKOFF`, max deliver).
     */
    retry: Type.Optional(
      Type.Object(
        {
          initialMs: Type.Integer({ minimum: 1 }),
          maxMs: Type.Integer({ minimum: 1 }),
          multiplier: Type.Number({ minimum: 1 }),
          maxRetries: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type BatchMessage = Static<typeof BatchMessageSchema>;

/** What a seeder publishes after a batch commits (or, in a dry run, rolls back). */
export const CheckpointMessageSchema = Type.Object(
  {
    v: Type.Literal(1),
    runId: Type.String(),
    entity: Type.String(),
    batchIndex: Type.Integer({ minimum: 0 }),
    planIndex: Type.Integer({ minimum: 0 }),
    rows: Type.Integer({ minimum: 0 }),
    digest: Type.String(),
    /** True when the checkpoint already existed and nothing was written (redelivery). */
    duplicate: Type.Boolean(),
    dryRun: Type.Boolean(),
    durationMs: Type.Number({ minimum: 0 }),
    attempt: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type CheckpointMessage = Static<typeof CheckpointMessageSchema>;

const batchCheck = TypeCompiler.Compile(BatchMessageSchema);
const checkpointCheck = TypeCompiler.Compile(CheckpointMessageSchema);

function decode<T>(data: Uint8Array, check: { Check(v: unknown): boolean }, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch (cause) {
    throw new SementeError("MALFORMED_INPUT", `${what} is not JSON`, { cause });
  }
  if (!check.Check(value)) throw new SementeError("VALIDATION_FAILED", `${what} does not match its schema`);
  return value as T;
}

export const encodeMessage = (value: BatchMessage | CheckpointMessage): Uint8Array =>
  new TextEncoder().encode(JSON.stringify(value));
export const decodeBatch = (data: Uint8Array): BatchMessage => decode(data, batchCheck, "batch message");
export const decodeCheckpoint = (data: Uint8Array): CheckpointMessage =>
  decode(data, checkpointCheck, "checkpoint message");

/** `Nats-Msg-Id` of a batch: JetStream drops a re-publish of the same batch within its duplicate window. */
export const batchMsgId = (m: BatchMessage): string => `${m.runId}:${m.entity}:${m.batchIndex}`;
