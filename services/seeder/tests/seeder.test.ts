import type { BatchFailedMessage } from "@semente/core/pipeline";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createBatchWriter,
  createMemoryGovernor,
  ensurePipelineStreams,
  listDlq,
  type MemoryGovernor,
  type PipelineNames,
} from "@semente/platform/pipeline";
import { type BatchMessage, batchMsgId, type CheckpointMessage, encodeMessage } from "@semente/core/pipeline";
import { createLogger } from "@semente/platform/telemetry";
import { plannedRows } from "@semente/core/manifest";
import { createTestDatabase, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import type { VaultTestServer } from "../../../packages/platform/tests/keys/vault-server.ts";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";
import {
  bankingCounts,
  batchMessages,
  checkpointCount,
  insertRun,
  startTestVault,
  writerManifest,
} from "../../../packages/platform/tests/pipeline/writer-fixtures.ts";
import { createBatchHandler, type Disposition } from "../src/handlers/batch.ts";
import { createSeederMetrics } from "../src/instrumentation.ts";
import { createSeeder, type Seeder } from "../src/seeder.ts";
import { collect, eventually } from "./utils.ts";

let db: TestDatabase;
let nats: TestNats;
let vault: VaultTestServer;
let keys: ReturnType<typeof startTestVault>["keys"];
let names: PipelineNames;
const logLines: string[] = [];
const log = createLogger({ service: "seeder-test", level: "debug", destination: { write: (l) => logLines.push(l) } });
const MAX_DELIVER = 3;
const metrics = createSeederMetrics();

beforeAll(async () => {
  db = await createTestDatabase("seeder_service");
  nats = await createTestNats("seeder");
  ({ vault, keys } = startTestVault(["banco-alfa", "banco-beta"]));
  names = await ensurePipelineStreams(nats.jsm, {
    namePrefix: nats.prefix,
    subjectPrefix: nats.subjectPrefix,
    settings: { ackWaitMs: 2_000, maxDeliver: MAX_DELIVER },
  });
});
afterAll(async () => {
  await nats?.cleanup();
  await db?.drop();
  await vault?.stop();
});

function startSeeder(fault?: { entity: string; batchIndex: number }, memory?: MemoryGovernor) {
  const dispositions: Disposition[] = [];
  const writer = createBatchWriter({ sql: db.seederSql, keys, log });
  const inner = createBatchHandler({
    writer,
    nc: nats.nc,
    js: nats.js,
    names,
    log,
    heartbeatMs: 500,
    fault,
    poisonDelayMs: 50,
    metrics,
  });
  const seeder = createSeeder({
    js: nats.js,
    names,
    modes: ["baseline"],
    log,
    ...(memory === undefined ? {} : { memory }),
    handler: async (m) => {
      const d = await inner(m);
      dispositions.push(d);
      return d;
    },
  });
  return { seeder, dispositions };
}

async function publish(msg: BatchMessage, msgID = batchMsgId(msg)): Promise<void> {
  await nats.js.publish(names.batchSubject(msg), encodeMessage(msg), { msgID });
}

describe("seeder service (in-process)", () => {
  let seeder: Seeder;

  test("seeder - pulls batches, commits them, acks and publishes one checkpoint per batch", async () => {
    const manifest = writerManifest("banco-alfa");
    const runId = await insertRun(db.ownerSql, manifest);
    const msgs = batchMessages(runId, manifest);
    const checkpoints = collect<CheckpointMessage>(nats.nc, names.checkpointSubject(runId));
    // A process over its limit after every delivery, and back under it after each collection:
    // every delivery handled is followed by one collection.
    let collected = 0;
    let resident = 0;
    const memory = createMemoryGovernor({
      limitBytes: 1,
      rss: () => (resident++ % 2 === 0 ? 2 : 0),
      collect: () => collected++,
    });
    const started = startSeeder(undefined, memory);
    seeder = started.seeder;
    await seeder.start();
    expect(seeder.running).toBe(true);
    for (const msg of msgs) await publish(msg);
    const got = await checkpoints.until(msgs.length);
    expect(got.length).toBe(msgs.length);
    expect(got.every((c) => !c.duplicate && /^sha256:[0-9a-f]{64}$/.test(c.digest))).toBe(true);
    expect(new Set(got.map((c) => c.planIndex)).size).toBe(msgs.length);
    expect(await bankingCounts(db.adminSql, "banco-alfa")).toEqual(plannedRows(manifest).perEntity);
    expect(await checkpointCount(db.adminSql, runId)).toBe(msgs.length);
    const drained = await eventually(
      async () => (await nats.jsm.streams.info(names.streams.baseline)).state.messages === 0,
    );
    expect(drained).toBe(true);

    // A redelivery (re-published under another id) is acked as a duplicate without writing.
    const before = await bankingCounts(db.adminSql, "banco-alfa");
    await publish(msgs[4] as BatchMessage, "redelivery-4");
    const again = await checkpoints.until(msgs.length + 1);
    expect(again.at(-1)).toMatchObject({ planIndex: msgs[4]?.planIndex, duplicate: true });
    expect(await bankingCounts(db.adminSql, "banco-alfa")).toEqual(before);
    checkpoints.sub.unsubscribe();
    await eventually(async () => collected === msgs.length + 1);
    expect(collected).toBe(msgs.length + 1);
    expect(logLines.filter((l) => l.includes('"memory limit: collected"')).length).toBe(msgs.length + 1);
    // SLIs: rows of committed batches only (the duplicate adds none), one latency sample per commit.
    const text = await metrics.registry.render();
    const rows = [...text.matchAll(/^semente_rows_written_total\{[^}]*mode="baseline"\} (\d+)$/gm)];
    expect(rows.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(plannedRows(manifest).total);
    const commits = [...text.matchAll(/^semente_batch_duration_seconds_count\{[^}]*\} (\d+)$/gm)];
    expect(commits.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(msgs.length);
    expect(text).toMatch(/^semente_batches_total\{mode="baseline",outcome="acked"\} /m);
  });

  test("seeder - a cancelled run's batch is acked and skipped without writing", async () => {
    const manifest = writerManifest("banco-beta");
    const runId = await insertRun(db.ownerSql, manifest, { state: "cancelled" });
    await db.ownerSql`UPDATE seed.runs SET finished_at = now() WHERE id = ${runId}`;
    const msg = batchMessages(runId, manifest)[0] as BatchMessage;
    await publish(msg);
    const drained = await eventually(
      async () => (await nats.jsm.streams.info(names.streams.baseline)).state.messages === 0,
    );
    expect(drained).toBe(true);
    expect(await checkpointCount(db.adminSql, runId)).toBe(0);
    expect((await bankingCounts(db.adminSql, "banco-beta")).tenants).toBe(0);
  });

  test("seeder - stop() ends the loops; later batches wait in the stream", async () => {
    await seeder.stop();
    expect(seeder.running).toBe(false);
    expect(seeder.inFlight).toBe(0);
  });

  test("seeder - a poison batch is reported on every delivery and reaches max deliveries (advisory DLQ)", async () => {
    const manifest = writerManifest("banco-beta", {
      metadata: { ...writerManifest("banco-beta").metadata, version: "1.0.1-p" },
    });
    const runId = await insertRun(db.ownerSql, manifest);
    const msg = batchMessages(runId, manifest)[0] as BatchMessage;
    const failures = collect<BatchFailedMessage>(nats.nc, names.failedSubject(runId));
    const advisories = collect<{ stream_seq: number; deliveries: number }>(
      nats.nc,
      names.maxDeliveriesAdvisory("baseline"),
    );
    const { seeder: faulty, dispositions } = startSeeder({ entity: msg.entity, batchIndex: msg.batchIndex });
    await faulty.start();
    try {
      await publish(msg);
      const reported = await failures.until(MAX_DELIVER);
      expect(reported.map((f) => f.attempt)).toEqual([1, 2, 3]);
      expect(reported.every((f) => f.retryable === false && f.code === "INTERNAL" && f.runId === runId)).toBe(true);
      const [advisory] = await advisories.until(1);
      expect(advisory?.deliveries).toBe(MAX_DELIVER);
      expect(dispositions.filter((d) => d === "dead_lettering").length).toBe(MAX_DELIVER);
      // The payload stays in the work queue for the DLQ to fetch by sequence.
      const original = await nats.jsm.streams.getMessage(names.streams.baseline, { seq: advisory?.stream_seq ?? 0 });
      expect(original?.json<BatchMessage>().batchIndex).toBe(msg.batchIndex);
      expect(await checkpointCount(db.adminSql, runId)).toBe(0);
    } finally {
      await faulty.stop();
      failures.sub.unsubscribe();
      advisories.sub.unsubscribe();
    }
  });
});

describe("seeder retries under the run's policy", () => {
  test("seeder - a poison batch is retried on the manifest's schedule and dead-lettered by the seeder after max_retries, below max deliver", async () => {
    const manifest = writerManifest("banco-beta", {
      metadata: { ...writerManifest("banco-beta").metadata, version: "1.0.2-r" },
    });
    const runId = await insertRun(db.ownerSql, manifest);
    const msg: BatchMessage = {
      ...(batchMessages(runId, manifest)[0] as BatchMessage),
      retry: { initialMs: 100, maxMs: 400, multiplier: 2, maxRetries: 1 },
    };
    const failures = collect<BatchFailedMessage>(nats.nc, names.failedSubject(runId));
    const { seeder: faulty, dispositions } = startSeeder({ entity: msg.entity, batchIndex: msg.batchIndex });
    await faulty.start();
    try {
      const started = performance.now();
      await publish(msg);
      const reported = await failures.until(2);
      expect(reported.map((f) => f.attempt)).toEqual([1, 2]);
      const deadOf = async () => (await listDlq(nats.jsm, names)).find((r) => r.batch?.runId === runId);
      expect(await eventually(async () => (await deadOf()) !== undefined)).toBe(true);
      const elapsed = performance.now() - started;
      const stored = await deadOf();
      expect(stored).toMatchObject({ deliveries: 2, lastError: { attempt: 2, runId } });
      expect(dispositions.slice(-2)).toEqual(["dead_lettering", "dead_lettered"]);
      // One retry of at most 100 ms, not MAX_DELIVER (3) deliveries nor the pipeline's 1–30 s backoff.
      expect(elapsed).toBeLessThan(5_000);
      // Terminated: no third delivery comes, the work queue no longer holds it.
      await Bun.sleep(600);
      expect((await failures.until(2)).length).toBe(2);
      const gone = await nats.jsm.streams
        .getMessage(names.streams.baseline, { seq: stored?.sourceSeq ?? 0 })
        .catch(() => null);
      expect(gone).toBeNull();
      expect(await checkpointCount(db.adminSql, runId)).toBe(0);
    } finally {
      await faulty.stop();
      failures.sub.unsubscribe();
    }
  }, 20_000);
});

describe("seeder concurrency", () => {
  test("seeder - with maxMessages 2 it holds two batches at once and never more", async () => {
    const manifest = writerManifest("banco-alfa");
    const msgs = batchMessages(crypto.randomUUID(), manifest)
      .slice(0, 6)
      .map((m) => ({ ...m, mode: "load" as const }));
    let active = 0;
    let peak = 0;
    let handled = 0;
    const seeder = createSeeder({
      js: nats.js,
      names,
      modes: ["load"],
      log,
      maxMessages: 2,
      handler: async (m) => {
        active++;
        peak = Math.max(peak, active);
        await Bun.sleep(150);
        active--;
        handled++;
        m.ack();
        return "acked";
      },
    });
    await seeder.start();
    try {
      for (const msg of msgs) await publish(msg);
      expect(await eventually(async () => handled === msgs.length)).toBe(true);
      expect(peak).toBe(2);
    } finally {
      await seeder.stop();
    }
    expect(seeder.inFlight).toBe(0);
  });
});
