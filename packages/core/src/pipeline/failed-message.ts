import { type Static, Type } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { SementeError } from "../errors/index.ts";

/**
 * What a seeder publishes (core NATS, `<p>seed.batch.failed.<run>`) after a failed attempt,
 * before it naks the batch; the last one becomes the dead batch's "last error".
 */
export const BatchFailedMessageSchema = Type.Object(
  {
    v: Type.Literal(1),
    runId: Type.String(),
    entity: Type.String(),
    batchIndex: Type.Integer({ minimum: 0 }),
    /** Delivery count of the failed attempt. */
    attempt: Type.Integer({ minimum: 1 }),
    /** Problem code of the failure (never a message that could hold PII). */
    code: Type.String(),
    /** Short description, free of row values. */
    message: Type.String(),
    retryable: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type BatchFailedMessage = Static<typeof BatchFailedMessageSchema>;

const failedCheck = TypeCompiler.Compile(BatchFailedMessageSchema);

export const encodeBatchFailed = (m: BatchFailedMessage): Uint8Array => new TextEncoder().encode(JSON.stringify(m));

export function decodeBatchFailed(data: Uint8Array): BatchFailedMessage {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch (cause) {
    throw new SementeError("MALFORMED_INPUT", "batch failure message is not JSON", { cause });
  }
  if (!failedCheck.Check(value))
    throw new SementeError("VALIDATION_FAILED", "batch failure message does not match its schema");
  return value;
}
