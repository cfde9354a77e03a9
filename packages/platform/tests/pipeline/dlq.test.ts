import { type BatchFailedMessage, decodeBatchFailed, encodeBatchFailed } from "@semente/core/pipeline";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isSementeError } from "@semente/core/errors";
import {
  createDlqEnricher,
  DlqHeader,
  type DlqRecord,
  ensurePipelineStreams,
  listDlq,
  type PipelineNames,
  replayDlq,
} from "@semente/platform/pipeline";
import { type BatchMessage, decodeBatch, encodeMessage } from "@semente/core/pipeline";
import { createTestNats, type TestNats } from "../nats-harness.ts";

let t: TestNats;
let names: PipelineNames;

const batch: BatchMessage = {
  v: 1,
  runId: "0b7f8a52-8d4b-4a8e-9d55-0a4f5b1c2d3e",
  environment: "dev",
  tenant: "banco-alfa",
  mode: "baseline",
  dryRun: false,
  manifestHash: "a".repeat(64),
  keyVersion: 1,
  entity: "customers",
  batchIndex: 3,
  level: 1,
  planIndex: 7,
  from: 300,
  to: 400,
};
const failure: BatchFailedMessage = {
  v: 1,
  runId: batch.runId,
  entity: "customers",
  batchIndex: 3,
  attempt: 2,
  code: "CONTRACT_VIOLATION",
  message: "generated row fails its contract",
  retryable: false,
};

beforeAll(async () => {
  t = await createTestNats("pipeline_dlq");
  names = await ensurePipelineStreams(t.jsm, {
    namePrefix: t.prefix,
    subjectPrefix: t.subjectPrefix,
    settings: { ackWaitMs: 1_000, maxDeliver: 2 },
  });
});
afterAll(async () => {
  await t.cleanup();
});

async function exhaust(message: BatchMessage): Promise<void> {
  await t.js.publish(names.batchSubject(message), encodeMessage(message), {
    msgID: `${message.runId}:${message.entity}:${message.batchIndex}`,
  });
  const c = await t.js.consumers.get(names.streams[message.mode], names.consumers[message.mode]);
  for (let i = 0; i < 2; i++) (await c.next({ expires: 3_000 }))?.nak();
  expect(await c.next({ expires: 1_000 })).toBeNull();
}

describe("batch failure messages", () => {
  test("dlq - a failure message round-trips and a malformed one is refused", () => {
    expect(decodeBatchFailed(encodeBatchFailed(failure))).toEqual(failure);
    expect(() => decodeBatchFailed(new TextEncoder().encode("{"))).toThrow();
    expect(() => decodeBatchFailed(new TextEncoder().encode('{"v":2}'))).toThrow();
  });
});

describe("DLQ enricher, list and replay", () => {
  const dead: DlqRecord[] = [];

  test("dlq - a poison batch lands in SEED_DLQ after max deliveries, with its payload and last error", async () => {
    const enricher = createDlqEnricher({
      js: t.js,
      jsm: t.jsm,
      names,
      lastError: (b) => (b.entity === failure.entity && b.batchIndex === failure.batchIndex ? failure : null),
      onDeadLetter: async (record) => {
        dead.push(record);
      },
      expiresMs: 1_000,
    });
    enricher.start();
    try {
      await exhaust(batch);
      for (let i = 0; i < 100 && dead.length === 0; i++) await Bun.sleep(50);
    } finally {
      await enricher.stop();
    }
    expect(dead).toHaveLength(1);
    const record = dead[0] as DlqRecord;
    expect(record.id).toBe(`${names.streams.baseline}:${record.sourceSeq}`);
    expect(record.batch).toEqual(batch);
    expect(record.lastError).toEqual(failure);
    expect(record.deliveries).toBe(2);
    expect(record.sourceSubject).toBe(names.batchSubject(batch));
    const stored = await t.jsm.streams.getMessage(names.dlq, { seq: record.dlqSeq });
    expect(stored?.subject).toBe(names.dlqSubject(names.streams.baseline, record.sourceSeq));
    expect(stored?.header.get(DlqHeader.RUN_ID)).toBe(batch.runId);
    // The exhausted original no longer sits in the work queue.
    expect(await t.jsm.streams.getMessage(names.streams.baseline, { seq: record.sourceSeq })).toBeNull();
  });

  test("dlq - a redelivered advisory is harmless: same record, no second copy", async () => {
    const record = dead[0] as DlqRecord;
    const enricher = createDlqEnricher({ js: t.js, jsm: t.jsm, names });
    let acked = 0;
    const advisory = {
      stream: record.sourceStream,
      consumer: names.consumers.baseline,
      stream_seq: record.sourceSeq,
      deliveries: 2,
    };
    const again = await enricher.handle({
      data: new TextEncoder().encode(JSON.stringify(advisory)),
      ack: () => {
        acked++;
      },
      nak: () => undefined,
    });
    expect(acked).toBe(1);
    expect(again?.dlqSeq).toBe(record.dlqSeq);
    expect(await listDlq(t.jsm, names)).toHaveLength(1);
  });

  test("dlq - list shows the dead batch records only", async () => {
    const records = await listDlq(t.jsm, names);
    expect(records.map((r) => r.id)).toEqual([(dead[0] as DlqRecord).id]);
    expect(records[0]?.batch?.entity).toBe("customers");
  });

  test("dlq - replay re-publishes the batch to its stream once, under a fresh Nats-Msg-Id", async () => {
    const record = dead[0] as DlqRecord;
    const first = await replayDlq(t.js, t.jsm, names, record.id);
    expect(first.stream).toBe(names.streams.baseline);
    expect(first.duplicate).toBe(false);
    expect((await replayDlq(t.js, t.jsm, names, record.id)).duplicate).toBe(true);
    const c = await t.js.consumers.get(names.streams.baseline, names.consumers.baseline);
    const m = await c.next({ expires: 3_000 });
    expect(m).not.toBeNull();
    expect(decodeBatch(m!.data)).toEqual(batch);
    expect(m!.headers?.get(DlqHeader.REPLAY_OF)).toBe(record.id);
    m!.ack();
  });

  test("dlq - replay of an unknown or malformed id is refused", async () => {
    const codes: string[] = [];
    for (const id of [`${names.streams.baseline}:999999`, "not an id"]) {
      try {
        await replayDlq(t.js, t.jsm, names, id);
      } catch (error) {
        if (isSementeError(error)) codes.push(error.code);
      }
    }
    expect(codes).toEqual(["NOT_FOUND", "MALFORMED_INPUT"]);
  });

  test("dlq - advisories of foreign streams or unreadable payloads are acked and ignored", async () => {
    const enricher = createDlqEnricher({ js: t.js, jsm: t.jsm, names });
    let acked = 0;
    const ack = () => {
      acked++;
    };
    const foreign = { stream: "OTHER", consumer: "x", stream_seq: 1, deliveries: 5 };
    expect(
      await enricher.handle({ data: new TextEncoder().encode(JSON.stringify(foreign)), ack, nak: ack }),
    ).toBeNull();
    expect(await enricher.handle({ data: new TextEncoder().encode("{"), ack, nak: ack })).toBeNull();
    expect(acked).toBe(2);
  });
});
