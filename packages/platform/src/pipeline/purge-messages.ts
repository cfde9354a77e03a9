import { type Static, Type } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { SementeError } from "@semente/core/errors";
import type { PipelineNames } from "./names.ts";

/**
 * The purge phase of a purge or reseed run, as one unit of work on the mode's batch stream (same
 * subject as the run's batches, so the same seeders' consumer delivers it). The seeder deletes
 * the tenant's rows in chunks as the data-plane role under RLS and closes the phase in the database;
 * a redelivery resumes from what is left. Everything else comes from `seed.runs`.
 */
export const PurgeMessageSchema = Type.Object(
  {
    v: Type.Literal(1),
    kind: Type.Literal("purge"),
    runId: Type.String({ format: "uuid" }),
    environment: Type.String(),
    tenant: Type.String(),
    /** Whose checkpoints the purge clears; also the stream it travels on. */
    mode: Type.Union([Type.Literal("baseline"), Type.Literal("load"), Type.Literal("dr")]),
  },
  { additionalProperties: false },
);
export type PurgeMessage = Static<typeof PurgeMessageSchema>;

/** What a seeder publishes (core NATS, `<p>seed.purged.<run>`) once a run's purge phase is closed. */
export const PurgedMessageSchema = Type.Object(
  {
    v: Type.Literal(1),
    runId: Type.String(),
    rowsDeleted: Type.Integer({ minimum: 0 }),
    /** The phase was already closed (a redelivery): nothing was deleted by this delivery. */
    duplicate: Type.Boolean(),
    attempt: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type PurgedMessage = Static<typeof PurgedMessageSchema>;

const purgeCheck = TypeCompiler.Compile(PurgeMessageSchema);
const purgedCheck = TypeCompiler.Compile(PurgedMessageSchema);

function parse(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

export const encodePurge = (value: PurgeMessage | PurgedMessage): Uint8Array =>
  new TextEncoder().encode(JSON.stringify(value));

/** Whether a work-queue payload is a purge message (anything else is handled as a batch). */
export function isPurgeMessage(data: Uint8Array): boolean {
  const value = parse(data) as { kind?: unknown } | undefined;
  return typeof value === "object" && value !== null && value.kind === "purge";
}

function decode<T>(data: Uint8Array, check: { Check(v: unknown): boolean }, what: string): T {
  const value = parse(data);
  if (value === undefined) throw new SementeError("MALFORMED_INPUT", `${what} is not JSON`);
  if (!check.Check(value)) throw new SementeError("VALIDATION_FAILED", `${what} does not match its schema`);
  return value as T;
}

export const decodePurge = (data: Uint8Array): PurgeMessage => decode(data, purgeCheck, "purge message");
export const decodePurged = (data: Uint8Array): PurgedMessage => decode(data, purgedCheck, "purged message");

/** The purge message in a payload, or null when it is not one. */
export function safePurge(data: Uint8Array): PurgeMessage | null {
  try {
    return decodePurge(data);
  } catch (error) {
    if (error instanceof SementeError) return null;
    throw error;
  }
}

/** `Nats-Msg-Id` of a run's purge phase: the duplicate window drops a second publish of it. */
export const purgeMsgId = (m: Pick<PurgeMessage, "runId">): string => `${m.runId}:purge`;

/** Core subject a seeder announces a closed purge phase on: `<p>seed.purged.<run>`. */
export const purgedSubject = (names: Pick<PipelineNames, "subjectPrefix">, runId: string): string =>
  `${names.subjectPrefix}seed.purged.${runId}`;
