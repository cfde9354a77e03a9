import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { ensureRunEventsStream, publishRunEvent, type RunEventPayload } from "../../src/bus/index.ts";
import { transitionRun } from "../../src/runs/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { createTestNats, type TestNats } from "../nats-harness.ts";
import { insertRun } from "../runs/run-fixture.ts";

let db: TestDatabase;
let nats: TestNats;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase("bus_run_events"), createTestNats("run_events")]);
});

afterAll(async () => {
  await Promise.all([db.drop(), nats.cleanup()]);
});

describe("run events", () => {
  test("bus - the stream is created idempotently with file storage on seed.run.>", async () => {
    const options = { streamName: `${nats.prefix}SEED_RUNS`, subjectPrefix: nats.subjectPrefix };
    await ensureRunEventsStream(nats.jsm, options);
    await ensureRunEventsStream(nats.jsm, options);
    const info = await nats.jsm.streams.info(options.streamName);
    expect(info.config.subjects).toEqual([`${nats.subjectPrefix}seed.run.>`]);
    expect(info.config.storage).toBe("file");
  });

  test("bus - events land on their subject and a re-publish of the same version is de-duplicated", async () => {
    const options = { streamName: `${nats.prefix}SEED_RUNS`, subjectPrefix: nats.subjectPrefix };
    await ensureRunEventsStream(nats.jsm, options);
    const queued = await insertRun(db.appSql, { tenantId: "events-co" });
    const admitted = await transitionRun(db.appSql, queued.id, { to: "admitted" });
    await publishRunEvent(nats.js, queued, "queued", options);
    await publishRunEvent(nats.js, admitted, "admitted", options);
    await publishRunEvent(nats.js, admitted, "admitted", options);

    const info = await nats.jsm.streams.info(options.streamName);
    expect(info.state.messages).toBe(2);
    await nats.jsm.consumers.add(options.streamName, {
      durable_name: "reader",
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
    });
    const consumer = await nats.js.consumers.get(options.streamName, "reader");
    const messages = await consumer.fetch({ max_messages: 2, expires: 2_000 });
    const seen: { subject: string; payload: RunEventPayload; msgId: string | undefined }[] = [];
    for await (const m of messages) {
      seen.push({ subject: m.subject, payload: m.json<RunEventPayload>(), msgId: m.headers?.get("Nats-Msg-Id") });
    }
    expect(seen.map((s) => s.subject)).toEqual([
      `${nats.subjectPrefix}seed.run.staging.events-co.${queued.id}.queued`,
      `${nats.subjectPrefix}seed.run.staging.events-co.${queued.id}.admitted`,
    ]);
    expect(seen[1]?.msgId).toBe(`${queued.id}:admitted:2`);
    expect(seen[1]?.payload.event).toBe("admitted");
    expect(seen[1]?.payload.version).toBe(2);
    expect(seen[1]?.payload.run.state).toBe("admitted");
    expect(seen[1]?.payload.run.tenant).toBe("events-co");
  });
});
