import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backoffMs, ensurePipelineStreams, PIPELINE_MODES, type PipelineNames } from "../../src/pipeline/index.ts";
import { createTestNats, type TestNats } from "../nats-harness.ts";

let t: TestNats;
let names: PipelineNames;
const settings = { ackWaitMs: 1_000, maxDeliver: 2 };

beforeAll(async () => {
  t = await createTestNats("pipeline_streams");
  names = await ensurePipelineStreams(t.jsm, { namePrefix: t.prefix, subjectPrefix: t.subjectPrefix, settings });
});
afterAll(async () => {
  await t.cleanup();
});

describe("ensurePipelineStreams", () => {
  test("streams - one file-backed work-queue stream per mode with a duplicate window", async () => {
    for (const mode of PIPELINE_MODES) {
      const info = await t.jsm.streams.info(names.streams[mode]);
      expect(info.config.retention).toBe("workqueue");
      expect(info.config.storage).toBe("file");
      expect(info.config.subjects).toEqual([`${t.subjectPrefix}seed.batch.${mode}.>`]);
      expect(info.config.duplicate_window).toBe(120_000_000_000);
    }
  });

  test("streams - a durable pull consumer per mode with explicit ack, max_deliver and backoff", async () => {
    for (const mode of PIPELINE_MODES) {
      const c = await t.jsm.consumers.info(names.streams[mode], names.consumers[mode]);
      expect(c.config.ack_policy).toBe("explicit");
      expect(c.config.max_deliver).toBe(2);
      expect(c.config.ack_wait).toBe(1_000_000_000);
      expect(c.config.backoff).toEqual(backoffMs(settings).map((ms) => ms * 1_000_000));
      expect(c.config.deliver_subject).toBeUndefined();
    }
  });

  test("streams - SEED_DLQ captures the MAX_DELIVERIES advisories of the seeders and the dead batch records", async () => {
    const info = await t.jsm.streams.info(names.dlq);
    expect(info.config.subjects).toContain(
      `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${t.prefix}SEED_BASELINE.seeders-baseline`,
    );
    expect(info.config.subjects).toContain(`${t.subjectPrefix}seed.dlq.>`);
    expect(info.config.retention).toBe("limits");
  });

  test("streams - idempotent: a second start-up changes nothing, new settings update the consumers", async () => {
    const again = await ensurePipelineStreams(t.jsm, {
      namePrefix: t.prefix,
      subjectPrefix: t.subjectPrefix,
      settings,
    });
    expect(again.streams).toEqual(names.streams);
    await ensurePipelineStreams(t.jsm, {
      namePrefix: t.prefix,
      subjectPrefix: t.subjectPrefix,
      settings: { ackWaitMs: 2_000, maxDeliver: 3 },
    });
    const c = await t.jsm.consumers.info(names.streams.load, names.consumers.load);
    expect(c.config.max_deliver).toBe(3);
    expect(c.config.backoff).toHaveLength(2);
    await ensurePipelineStreams(t.jsm, { namePrefix: t.prefix, subjectPrefix: t.subjectPrefix, settings });
    expect((await t.jsm.consumers.info(names.streams.load, names.consumers.load)).config.max_deliver).toBe(2);
  });

  test("streams - a re-published batch with the same Nats-Msg-Id is dropped as a duplicate", async () => {
    const subject = `${t.subjectPrefix}seed.batch.load.dev.banco-alfa.r1`;
    const first = await t.js.publish(subject, "x", { msgID: "r1:users:0" });
    const second = await t.js.publish(subject, "x", { msgID: "r1:users:0" });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    const c = await t.js.consumers.get(names.streams.load, names.consumers.load);
    (await c.next({ expires: 2_000 }))?.ack();
  });

  test("streams - a batch nak'ed max_deliver times raises an advisory that SEED_DLQ keeps", async () => {
    const before = (await t.jsm.streams.info(names.dlq)).state.messages;
    await t.js.publish(`${t.subjectPrefix}seed.batch.baseline.dev.banco-alfa.r2`, "poison", { msgID: "r2:users:0" });
    const c = await t.js.consumers.get(names.streams.baseline, names.consumers.baseline);
    for (let i = 1; i <= 2; i++) {
      const m = await c.next({ expires: 3_000 });
      expect(m?.info.deliveryCount).toBe(i);
      m?.nak();
    }
    // The server notices the exhausted message when a seeder asks for more, as live seeders do.
    expect(await c.next({ expires: 1_000 })).toBeNull();
    let after = before;
    for (let i = 0; i < 40 && after === before; i++) {
      await Bun.sleep(50);
      after = (await t.jsm.streams.info(names.dlq)).state.messages;
    }
    expect(after).toBe(before + 1);
    const last = await t.jsm.streams.getMessage(names.dlq, {
      seq: (await t.jsm.streams.info(names.dlq)).state.last_seq,
    });
    const advisory = last?.json<{ stream: string; stream_seq: number; deliveries: number }>();
    expect(advisory?.stream).toBe(names.streams.baseline);
    expect(advisory?.deliveries).toBe(2);
  });
});
