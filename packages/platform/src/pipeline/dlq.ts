import type { JetStreamClient, JetStreamManager, JsMsg, StoredMsg } from "@nats-io/jetstream";
import { type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import { SementeError } from "@semente/core/errors";
import {
  type BatchFailedMessage,
  type BatchMessage,
  batchMsgId,
  decodeBatch,
  decodeBatchFailed,
} from "@semente/core/pipeline";
import { type PurgeMessage, purgeMsgId, safePurge } from "./purge-messages.ts";
import type { PipelineNames } from "./names.ts";

/** Headers of a dead batch record in `SEED_DLQ`. */
export const DlqHeader = {
  SOURCE_STREAM: "Semente-Source-Stream",
  SOURCE_SEQ: "Semente-Source-Seq",
  SOURCE_SUBJECT: "Semente-Source-Subject",
  SOURCE_MSG_ID: "Semente-Source-Msg-Id",
  DELIVERIES: "Semente-Deliveries",
  /** JSON of the last {@link BatchFailedMessage}, or `null` when none was seen. */
  LAST_ERROR: "Semente-Last-Error",
  RUN_ID: "Semente-Run-Id",
  /** On a replayed batch: the dead record it came from (`<stream>:<seq>`). */
  REPLAY_OF: "Semente-Replay-Of",
} as const;

/** A dead batch, as `semente dlq list` shows it. */
export interface DlqRecord {
  /** `<source stream>:<source seq>`, the argument of `semente dlq replay`. */
  id: string;
  /** Sequence of the record in `SEED_DLQ`. */
  dlqSeq: number;
  sourceStream: string;
  sourceSeq: number;
  sourceSubject: string;
  deliveries: number;
  lastError: BatchFailedMessage | null;
  /** The batch, or `null` when its payload is not a valid batch message. */
  batch: BatchMessage | null;
  /** A run's purge phase given up on (then `batch` is null). */
  purge: PurgeMessage | null;
  deadAt: string;
}

/** The MAX_DELIVERIES advisory payload (the fields we read). */
interface MaxDeliveriesAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

function isAdvisory(value: unknown): value is MaxDeliveriesAdvisory {
  const v = value as MaxDeliveriesAdvisory;
  return typeof v === "object" && v !== null && typeof v.stream === "string" && Number.isSafeInteger(v.stream_seq);
}

function safeBatch(data: Uint8Array): BatchMessage | null {
  try {
    return decodeBatch(data);
  } catch (error) {
    // A payload that is not a batch still belongs in the DLQ: it is shown, not replayed blindly.
    if (error instanceof SementeError) return null;
    throw error;
  }
}

function toRecord(stored: StoredMsg): DlqRecord {
  const h = stored.header;
  const stream = h.get(DlqHeader.SOURCE_STREAM);
  const seq = Number(h.get(DlqHeader.SOURCE_SEQ));
  const lastErrorRaw = h.get(DlqHeader.LAST_ERROR);
  let lastError: BatchFailedMessage | null = null;
  if (lastErrorRaw !== "" && lastErrorRaw !== "null") {
    try {
      lastError = decodeBatchFailed(new TextEncoder().encode(lastErrorRaw));
    } catch (error) {
      // An unreadable last-error header must not hide the dead batch itself.
      if (!(error instanceof SementeError)) throw error;
    }
  }
  return {
    id: `${stream}:${seq}`,
    dlqSeq: stored.seq,
    sourceStream: stream,
    sourceSeq: seq,
    sourceSubject: h.get(DlqHeader.SOURCE_SUBJECT),
    deliveries: Number(h.get(DlqHeader.DELIVERIES)),
    lastError,
    batch: safeBatch(stored.data),
    purge: safePurge(stored.data),
    deadAt: stored.timestamp,
  };
}

/** A batch message given up on, as the DLQ stores it. */
export interface DeadBatch {
  /** Work-queue stream and sequence it was delivered from. */
  stream: string;
  seq: number;
  subject: string;
  data: Uint8Array;
  deliveries: number;
  lastError: BatchFailedMessage | null;
}

/**
 * Stores a dead batch in `SEED_DLQ` under `<p>seed.dlq.<stream>.<seq>` with
 * `Nats-Msg-Id: dlq:<stream>:<seq>` (so the enricher and a seeder that dead-letters it itself never
 * store it twice); returns its DLQ sequence.
 */
export async function storeDeadBatch(js: JetStreamClient, names: PipelineNames, dead: DeadBatch): Promise<number> {
  const batch = safeBatch(dead.data);
  const purge = batch === null ? safePurge(dead.data) : null;
  const h: MsgHdrs = natsHeaders();
  h.set(DlqHeader.SOURCE_STREAM, dead.stream);
  h.set(DlqHeader.SOURCE_SEQ, String(dead.seq));
  h.set(DlqHeader.SOURCE_SUBJECT, dead.subject);
  h.set(DlqHeader.SOURCE_MSG_ID, batch !== null ? batchMsgId(batch) : purge !== null ? purgeMsgId(purge) : "");
  h.set(DlqHeader.DELIVERIES, String(dead.deliveries));
  h.set(DlqHeader.LAST_ERROR, JSON.stringify(dead.lastError));
  const runId = batch?.runId ?? purge?.runId;
  if (runId !== undefined) h.set(DlqHeader.RUN_ID, runId);
  const ack = await js.publish(names.dlqSubject(dead.stream, dead.seq), dead.data, {
    msgID: `dlq:${dead.stream}:${dead.seq}`,
    headers: h,
    expect: { streamName: names.dlq },
  });
  return ack.seq;
}

/** The record of a DLQ message delivered by a consumer of `SEED_DLQ` (the planner follows new ones). */
export function recordFromMsg(m: Pick<JsMsg, "headers" | "data" | "seq" | "info">): DlqRecord {
  return toRecord({
    header: m.headers ?? natsHeaders(),
    data: m.data,
    seq: m.seq,
    timestamp: new Date(m.info.timestampNanos / 1_000_000).toISOString(),
  } as StoredMsg);
}

/** Dependencies of {@link createDlqEnricher}. */
export interface DlqEnricherOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: PipelineNames;
  /** The last failure seen for a batch (the planner keeps them from `seed.batch.failed.*`). */
  lastError?: (batch: BatchMessage) => Promise<BatchFailedMessage | null> | BatchFailedMessage | null;
  /** Called once the record is stored, before the advisory is acked (must be idempotent). */
  onDeadLetter?: (record: DlqRecord) => Promise<void>;
  /** Receives errors of the loop (it keeps running; the advisory is redelivered). */
  onError?: (error: unknown) => void;
  /**
   * Pull expiry of one wait for advisories (at least 1,000).
   * @default 2_000
   */
  expiresMs?: number;
}

/** The DLQ enricher: turns MAX_DELIVERIES advisories into dead batch records. */
export interface DlqEnricher {
  /** Handles one advisory message (exposed for tests); acks it when done. */
  handle(msg: Pick<JsMsg, "data" | "ack" | "nak">): Promise<DlqRecord | null>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Builds the enricher. For each advisory it fetches the original batch by `stream_seq`,
 * republishes it to `<p>seed.dlq.<stream>.<seq>` with `Nats-Msg-Id: dlq:<stream>:<seq>` and the
 * last error in headers, reports it, then deletes the original from its work queue (where an
 * exhausted message would otherwise stay forever) and acks the advisory. Every step is idempotent,
 * so a redelivered advisory does no harm.
 */
export function createDlqEnricher(options: DlqEnricherOptions): DlqEnricher {
  const { js, jsm, names } = options;
  const onError = options.onError ?? (() => undefined);
  let running = false;
  let loop: Promise<void> | undefined;
  let iterator: { stop(): void } | undefined;

  async function handle(msg: Pick<JsMsg, "data" | "ack" | "nak">): Promise<DlqRecord | null> {
    let advisory: unknown;
    try {
      advisory = JSON.parse(new TextDecoder().decode(msg.data));
    } catch (error) {
      // Not an advisory we can read: nothing to dead-letter, keep it out of the way.
      onError(error);
      msg.ack();
      return null;
    }
    if (!isAdvisory(advisory) || !Object.values(names.streams).includes(advisory.stream)) {
      msg.ack();
      return null;
    }
    const dlqSubject = names.dlqSubject(advisory.stream, advisory.stream_seq);
    const original = await jsm.streams.getMessage(advisory.stream, { seq: advisory.stream_seq });
    let stored: StoredMsg | null;
    if (original === null) {
      // Already moved by an earlier delivery of this advisory (or purged): reuse the record.
      stored = await jsm.streams.getMessage(names.dlq, { last_by_subj: dlqSubject });
    } else {
      const batch = safeBatch(original.data);
      const lastError = batch === null ? null : ((await options.lastError?.(batch)) ?? null);
      const seq = await storeDeadBatch(js, names, {
        stream: advisory.stream,
        seq: advisory.stream_seq,
        subject: original.subject,
        data: original.data,
        deliveries: advisory.deliveries,
        lastError,
      });
      stored = await jsm.streams.getMessage(names.dlq, { seq });
    }
    if (stored === null) {
      msg.ack();
      return null;
    }
    const record = toRecord(stored);
    await options.onDeadLetter?.(record);
    if (original !== null) await jsm.streams.deleteMessage(advisory.stream, advisory.stream_seq, false);
    msg.ack();
    return record;
  }

  /** Handles every message of one fetch; one that fails is redelivered a second later. */
  async function handleEach(batch: AsyncIterable<JsMsg>): Promise<void> {
    for await (const msg of batch) {
      try {
        await handle(msg);
      } catch (error) {
        onError(error);
        msg.nak(1_000);
      }
    }
  }

  async function run(): Promise<void> {
    const consumer = await js.consumers.get(names.dlq, names.dlqEnricher);
    while (running) {
      try {
        const batch = await consumer.fetch({ max_messages: 16, expires: options.expiresMs ?? 2_000 });
        iterator = batch;
        await handleEach(batch);
      } catch (error) {
        onError(error);
        if (running) await Bun.sleep(500);
      }
    }
  }

  return {
    handle,
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      iterator?.stop();
      await loop;
    },
  };
}

/** Every dead batch record in `SEED_DLQ`, oldest first (at most `limit`). */
export async function listDlq(jsm: JetStreamManager, names: PipelineNames, limit = 1_000): Promise<DlqRecord[]> {
  const info = await jsm.streams.info(names.dlq);
  const out: DlqRecord[] = [];
  const prefix = `${names.subjectPrefix}seed.dlq.`;
  if (info.state.messages === 0) return out;
  for (let seq = Math.max(info.state.first_seq, 1); seq <= info.state.last_seq && out.length < limit; seq++) {
    const stored = await jsm.streams.getMessage(names.dlq, { seq });
    if (stored?.subject.startsWith(prefix)) out.push(toRecord(stored));
  }
  return out;
}

async function storedDeadBatch(jsm: JetStreamManager, names: PipelineNames, id: string): Promise<StoredMsg> {
  const m = /^([A-Za-z0-9_-]+):(\d+)$/.exec(id);
  if (m === null)
    throw new SementeError("MALFORMED_INPUT", "a DLQ id is <stream>:<seq>, as `semente dlq list` shows it");
  const stored = await jsm.streams.getMessage(names.dlq, {
    last_by_subj: names.dlqSubject(m[1] as string, Number(m[2])),
  });
  if (stored === null) throw new SementeError("NOT_FOUND", `no dead batch ${id} in ${names.dlq}`);
  return stored;
}

/** One dead batch record by its id (`<stream>:<seq>`); NOT_FOUND when absent, MALFORMED_INPUT when not an id. */
export async function getDlqRecord(jsm: JetStreamManager, names: PipelineNames, id: string): Promise<DlqRecord> {
  return toRecord(await storedDeadBatch(jsm, names, id));
}

/** Outcome of {@link replayDlq}. */
export interface ReplayResult {
  record: DlqRecord;
  /** Stream and sequence the batch was republished to. */
  stream: string;
  seq: number;
  duplicate: boolean;
}

/**
 * Re-publishes a dead batch (`id` = `<stream>:<seq>`) to its original subject, under a fresh
 * `Nats-Msg-Id` (`replay:<stream>:<seq>:<dlq seq>`), for the seeders to try again once the fault is
 * fixed. A batch whose checkpoint exists by then is acked without writing (exactly-once effect).
 */
export async function replayDlq(
  js: JetStreamClient,
  jsm: JetStreamManager,
  names: PipelineNames,
  id: string,
): Promise<ReplayResult> {
  const stored = await storedDeadBatch(jsm, names, id);
  const record = toRecord(stored);
  const h: MsgHdrs = natsHeaders();
  h.set(DlqHeader.REPLAY_OF, record.id);
  const ack = await js.publish(record.sourceSubject, stored.data, {
    msgID: `replay:${record.id}:${record.dlqSeq}`,
    headers: h,
    expect: { streamName: record.sourceStream },
  });
  return { record, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
}
