import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ensureRunEventsStream, publishRunEvent } from "@semente/platform/bus";
import { createEvidenceService } from "@semente/platform/evidence";
import { getRun, type Run } from "@semente/platform/runs";
import { devKeys, insertEndedRun, quietLog } from "../../../../packages/platform/tests/evidence/utils.ts";
import { createTestDatabase, type TestDatabase } from "../../../../packages/platform/tests/harness.ts";
import { createTestNats, type TestNats } from "../../../../packages/platform/tests/nats-harness.ts";
import { createRunEventsConsumer, type RunEventsConsumer } from "../../src/handlers/run-events.ts";
import { brokenWorm, tempWorm } from "../utils.ts";

let db: TestDatabase;
let nats: TestNats;
let consumer: RunEventsConsumer;
const worm = tempWorm();
const keys = devKeys();
let events: { streamName: string; subjectPrefix: string };

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase("evidence_events"), createTestNats("evidence_events")]);
  events = { streamName: `${nats.prefix}SEED_RUNS`, subjectPrefix: nats.subjectPrefix };
  await ensureRunEventsStream(nats.jsm, events);
  const service = createEvidenceService({ sql: db.appSql, store: worm.store, keys, log: quietLog() });
  consumer = createRunEventsConsumer({
    js: nats.js,
    jsm: nats.jsm,
    service,
    log: quietLog(),
    ...events,
    durableName: "evidence_test",
    fetchExpiresMs: 1_000,
  });
  await consumer.start();
});
afterAll(async () => {
  await consumer.stop();
  await nats.cleanup();
  await db.drop();
  worm.cleanup();
});

async function run(id: string): Promise<Run> {
  const found = await getRun(db.appSql, id);
  if (found === null) throw new Error(`run ${id} missing`);
  return found;
}

async function evidenceRows(runId: string): Promise<number> {
  const rows = await db.adminSql`select count(*)::int as n from seed.evidence_index where run_id = ${runId}`;
  return rows[0]?.n as number;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(50);
  }
  throw new Error("condition not met in time");
}

async function consumerIdle(): Promise<boolean> {
  const info = await nats.jsm.consumers.info(events.streamName, "evidence_test");
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

describe("run events consumer", () => {
  test("consumer - a completed event produces exactly one report, even when the event repeats", async () => {
    const { runId } = await insertEndedRun(db.adminSql);
    const completed = await run(runId);
    await publishRunEvent(nats.js, completed, "completed", events);
    await waitFor(async () => (await evidenceRows(runId)) === 1);
    // A re-publish with another version (not de-duplicated by the stream) is still one report.
    await publishRunEvent(nats.js, { ...completed, etagVersion: completed.etagVersion + 1 }, "completed", events);
    await waitFor(consumerIdle);
    expect(await evidenceRows(runId)).toBe(1);
  }, 20_000);

  test("consumer - failed, aborted and cancelled runs get evidence; other events and dry runs do not", async () => {
    const failed = await insertEndedRun(db.adminSql, { state: "failed" });
    const aborted = await insertEndedRun(db.adminSql, { state: "aborted" });
    const cancelled = await insertEndedRun(db.adminSql, { state: "cancelled" });
    const dry = await insertEndedRun(db.adminSql, { dryRun: true });
    const other = await insertEndedRun(db.adminSql);
    await publishRunEvent(nats.js, await run(failed.runId), "failed", events);
    await publishRunEvent(nats.js, await run(aborted.runId), "aborted", events);
    await publishRunEvent(nats.js, await run(cancelled.runId), "cancelled", events);
    await publishRunEvent(nats.js, await run(dry.runId), "completed", events);
    await publishRunEvent(nats.js, await run(other.runId), "running", events);
    await waitFor(
      async () =>
        (await evidenceRows(failed.runId)) === 1 &&
        (await evidenceRows(aborted.runId)) === 1 &&
        (await evidenceRows(cancelled.runId)) === 1,
    );
    await waitFor(consumerIdle);
    expect(await evidenceRows(dry.runId)).toBe(0);
    expect(await evidenceRows(other.runId)).toBe(0);
  }, 20_000);

  test("consumer - WORM unavailable is retried (nak); an unknown run is terminated", async () => {
    const broken = brokenWorm();
    try {
      const { runId } = await insertEndedRun(db.adminSql);
      const service = createEvidenceService({ sql: db.appSql, store: broken.store, keys, log: quietLog() });
      const handler = createRunEventsConsumer({ js: nats.js, jsm: nats.jsm, service, log: quietLog(), ...events });
      const acks: string[] = [];
      const msg = (id: string) =>
        ({
          subject: `${events.subjectPrefix}seed.run.dev.banco-alfa.${id}.completed`,
          info: { deliveryCount: 1 },
          json: () => ({ run: { id } }),
          ack: () => acks.push("ack"),
          nak: () => acks.push("nak"),
          term: () => acks.push("term"),
        }) as never;
      expect(await handler.handle(msg(runId))).toBe("retry");
      expect(await handler.handle(msg(crypto.randomUUID()))).toBe("rejected");
      expect(acks).toEqual(["nak", "term"]);
      expect(await evidenceRows(runId)).toBe(0);
    } finally {
      broken.cleanup();
    }
  });
});
