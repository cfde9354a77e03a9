import { headers } from "@nats-io/transport-node";
import { injectTraceHeaders } from "../telemetry/tracing.ts";
import {
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { SementeError } from "@semente/core/errors";
import { type Run, toRunResource } from "../runs/index.ts";
import { RUN_EVENTS_STREAM, type RunEvent, subjects } from "./subjects.ts";

/** Where run events live; tests pass their own prefixes. */
export interface RunEventsOptions {
  /**
   * Stream name.
   * @default "SEED_RUNS"
   */
  streamName?: string;
  /**
   * Prefix before `seed.run.` in every subject (two streams may not share subjects).
   * @default ""
   */
  subjectPrefix?: string;
  /**
   * Replicas of the stream when this call creates it (`NATS_REPLICAS`).
   * @default 1
   */
  replicas?: number;
}

/** Body of a run event: the run's JSON representation plus the event and its version. */
export interface RunEventPayload {
  event: RunEvent;
  /** The run's `etag_version` when the event happened. */
  version: number;
  run: ReturnType<typeof toRunResource>;
}

const DAY_NS = 86_400 * 1_000_000_000;

/**
 * Creates the run events stream if missing (file storage, subjects `seed.run.>`, 30-day limit,
 * 2-minute de-duplication window). An existing stream is left as it is.
 */
export async function ensureRunEventsStream(jsm: JetStreamManager, options: RunEventsOptions = {}): Promise<void> {
  const name = options.streamName ?? RUN_EVENTS_STREAM;
  try {
    await jsm.streams.info(name);
    return;
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== 10059) throw unavailable(error);
  }
  try {
    await jsm.streams.add({
      name,
      subjects: [subjects.allRunEvents(options.subjectPrefix)],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: 30 * DAY_NS,
      duplicate_window: 120 * 1_000_000_000,
      num_replicas: options.replicas ?? 1,
    });
  } catch (error) {
    // A concurrent replica created it between our info and add: that is the outcome we wanted.
    if (error instanceof JetStreamApiError && error.code === 10058) return;
    throw unavailable(error);
  }
}

/**
 * Publishes `seed.run.<env>.<tenant>.<run>.<event>` with `Nats-Msg-Id` `<run>:<event>:<version>`,
 * so a retried publish of the same change is de-duplicated by the stream.
 */
export async function publishRunEvent(
  js: JetStreamClient,
  run: Run,
  event: RunEvent,
  options: RunEventsOptions = {},
): Promise<void> {
  const payload: RunEventPayload = { event, version: run.etagVersion, run: toRunResource(run) };
  try {
    await js.publish(subjects.runEvent(run, event, options.subjectPrefix), JSON.stringify(payload), {
      msgID: `${run.id}:${event}:${run.etagVersion}`,
      // The active span (planner run, gateway request) travels with the event: the evidence build
      // of a terminal run is its child.
      headers: injectTraceHeaders(headers()),
      expect: { streamName: options.streamName ?? RUN_EVENTS_STREAM },
    });
  } catch (cause) {
    throw unavailable(cause);
  }
}

function unavailable(cause: unknown): SementeError {
  return new SementeError("UNAVAILABLE", "JetStream unavailable for run events", { cause, retryable: true });
}
