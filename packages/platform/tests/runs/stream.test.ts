import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  cursorOf,
  decodeSse,
  diffRunSnapshots,
  encodeSse,
  encodeSseComment,
  loadRunSnapshot,
  parseStreamCursor,
  type RunSnapshot,
  type SseMessage,
  transitionRun,
} from "../../src/runs/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { insertRun } from "./run-fixture.ts";
import { publicEvidenceLocation } from "../../src/evidence/public-location.ts";
import { commitFixture, deadLetterFixture, evidenceFixture, planFixture } from "./stream-fixture.ts";

/** A body delivering `text` in chunks of `size` bytes (splits inside fields, lines and UTF-8 sequences). */
function chunked(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>): Promise<(SseMessage & { id: string })[]> {
  const out: (SseMessage & { id: string })[] = [];
  for await (const m of decodeSse(body)) out.push(m);
  return out;
}

describe("server-sent events codec", () => {
  const messages: SseMessage[] = [
    { event: "hello", data: '{"run":"r"}', retry: 2000 },
    { event: "progress", data: "line one\nline two — ünïcode", id: "v1.r0.d0.e0" },
    { data: "no event name" },
    { event: "evil\nevent: forged", data: "x", id: "a\nid: b" },
  ];
  const text = messages.map(encodeSse).join(encodeSseComment("heartbeat"));

  test("sse - round trip whatever the chunking", async () => {
    for (const size of [1, 2, 3, 7, 64, 10_000]) {
      const got = await collect(chunked(text, size));
      expect(got).toEqual([
        { event: "hello", data: '{"run":"r"}', retry: 2000, id: "" },
        { event: "progress", data: "line one\nline two — ünïcode", id: "v1.r0.d0.e0" },
        // The id in force carries over to a message without one.
        { data: "no event name", id: "v1.r0.d0.e0" },
        // Line breaks in field values cannot forge fields.
        { event: "evil event: forged", data: "x", id: "a id: b" },
      ]);
    }
  });

  test("sse - CRLF and CR line ends, comments and data-less blocks", async () => {
    const got = await collect(chunked(": hi\r\nevent: a\r\ndata: 1\r\n\r\nevent: b\r\n\r\ndata:2\rdata: 3\r\r", 1));
    expect(got).toEqual([
      { event: "a", data: "1", id: "" },
      { data: "2\n3", id: "" },
    ]);
  });
});

function snapshot(overrides: Partial<RunSnapshot> & { state?: string } = {}): RunSnapshot {
  const state = overrides.state ?? "running";
  return {
    run: {
      id: "00000000-0000-4000-8000-000000000001",
      state,
      progress: { rows_planned: 30, rows_written: 0 },
    } as RunSnapshot["run"],
    version: 4,
    entities: [
      {
        entity: "customers",
        rows_planned: 20,
        rows_written: 10,
        batches: 2,
        batches_committed: 1,
        batches_dead_lettered: 0,
      },
      {
        entity: "loans",
        rows_planned: 10,
        rows_written: 0,
        batches: 1,
        batches_committed: 0,
        batches_dead_lettered: 0,
      },
    ],
    dlq: [],
    recentRows: 10,
    windowSeconds: 5,
    evidence: null,
    ...overrides,
  };
}

describe("run snapshot diffs", () => {
  test("stream - a first connection gets the state, every entity and the rate", () => {
    const events = diffRunSnapshots(null, snapshot());
    expect(events.map((e) => e.event)).toEqual(["progress", "progress", "throughput", "state"]);
    expect(events[2]?.data).toEqual({ rows_per_second: 2, window_seconds: 5, rows_written: 10 });
  });

  test("stream - nothing new, nothing sent; one entity moved, one progress event", () => {
    const a = snapshot();
    expect(diffRunSnapshots(a, snapshot())).toEqual([]);
    const moved = snapshot();
    (moved.entities[1] as { rows_written: number; batches_committed: number }).rows_written = 10;
    (moved.entities[1] as { batches_committed: number }).batches_committed = 1;
    moved.recentRows = 20;
    const events = diffRunSnapshots(a, moved);
    expect(events.map((e) => e.event)).toEqual(["progress", "throughput"]);
    expect((events[0]?.data as { entity: string }).entity).toBe("loans");
  });

  test("stream - a new DLQ entry is sent once, keyed by entity and batch", () => {
    const entry = { entity: "loans", batch_index: 0, attempts: 5, last_error: null };
    const a = snapshot();
    const b = snapshot({ dlq: [entry] });
    expect(diffRunSnapshots(a, b).filter((e) => e.event === "dlq")).toEqual([{ event: "dlq", data: entry }]);
    expect(diffRunSnapshots(b, snapshot({ dlq: [entry] })).filter((e) => e.event === "dlq")).toEqual([]);
  });

  test("stream - terminal without evidence waits; evidence then end", () => {
    const done = snapshot({ state: "completed", version: 9, recentRows: 0 });
    expect(diffRunSnapshots(snapshot(), done).map((e) => e.event)).toEqual(["throughput", "state"]);
    expect(diffRunSnapshots(done, done)).toEqual([]);
    expect(diffRunSnapshots(done, done, { evidenceGiveUp: true }).map((e) => e.event)).toEqual(["end"]);
    const withEvidence = snapshot({
      state: "completed",
      version: 9,
      recentRows: 0,
      evidence: { sha256: "ab", location: "l" },
    });
    const events = diffRunSnapshots(done, withEvidence);
    expect(events.map((e) => e.event)).toEqual(["evidence", "end"]);
    expect(events[0]?.data).toEqual({ sha256: "ab", location: "l", href: `/api/v1/seed-runs/${done.run.id}/evidence` });
  });

  test("stream - resuming from a cursor repeats neither the state nor the evidence", () => {
    const now = snapshot({ state: "completed", version: 9, evidence: { sha256: "ab", location: "l" } });
    const cursor = parseStreamCursor(cursorOf(now));
    expect(cursor).toEqual({ version: 9, rowsWritten: 10, dlq: 0, evidence: true });
    expect(diffRunSnapshots(cursor, now).map((e) => e.event)).toEqual(["progress", "progress", "end"]);
    // An older cursor: the state changed since, the evidence is new.
    const older = parseStreamCursor("v4.r10.d0.e0");
    expect(diffRunSnapshots(older, now).map((e) => e.event)).toEqual([
      "progress",
      "progress",
      "state",
      "evidence",
      "end",
    ]);
  });

  test("stream - a cursor that is not ours is ignored", () => {
    for (const bad of [null, "", "v1", "v1.r2.d3.e2", "v-1.r0.d0.e0", `v${"9".repeat(20)}.r0.d0.e0`, "x v1.r0.d0.e0"]) {
      expect(parseStreamCursor(bad)).toBeNull();
    }
  });
});

describe("run snapshots from PostgreSQL", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("runs_stream");
  });
  afterAll(() => db.drop());

  test("stream - snapshot sums seed.batches per entity, DLQ, rate and evidence", async () => {
    const run = await insertRun(db.appSql, { tenantId: "stream-co", environment: "dev" });
    expect(await loadRunSnapshot(db.appSql, "00000000-0000-4000-8000-00000000dead")).toBeNull();
    const empty = await loadRunSnapshot(db.appSql, run.id);
    expect(empty?.entities).toEqual([]);
    expect(diffRunSnapshots(null, empty as RunSnapshot).map((e) => e.event)).toEqual(["state"]);

    await planFixture(db.adminSql, run.id, [
      { entity: "customers", batches: 3, rows: 100 },
      { entity: "loans", batches: 2, rows: 50 },
    ]);
    await commitFixture(db.adminSql, run.id, "customers", 0);
    await commitFixture(db.adminSql, run.id, "customers", 1);
    await deadLetterFixture(db.adminSql, run.id, "loans", 1);
    const s = (await loadRunSnapshot(db.appSql, run.id)) as RunSnapshot;
    expect(s.entities).toEqual([
      {
        entity: "customers",
        rows_planned: 300,
        rows_written: 200,
        batches: 3,
        batches_committed: 2,
        batches_dead_lettered: 0,
      },
      {
        entity: "loans",
        rows_planned: 100,
        rows_written: 0,
        batches: 2,
        batches_committed: 0,
        batches_dead_lettered: 1,
      },
    ]);
    expect(s.dlq).toEqual([
      { entity: "loans", batch_index: 1, attempts: 5, last_error: { code: "CONTRACT_VIOLATION", detail: "fixture" } },
    ]);
    expect(s.recentRows).toBe(200);
    expect(s.evidence).toBeNull();
    expect(cursorOf(s)).toBe("v1.r200.d1.e0");

    const admitted = await transitionRun(db.appSql, run.id, { to: "admitted" });
    const evidence = await evidenceFixture(db.adminSql, run.id);
    const t = (await loadRunSnapshot(db.appSql, run.id)) as RunSnapshot;
    expect(t.version).toBe(admitted.etagVersion);
    // Never the server's path: a filesystem report is named by its key inside the store.
    expect(t.evidence).toEqual({
      sha256: evidence.sha256,
      location: publicEvidenceLocation(run, evidence.location, "filesystem"),
    });
    expect(t.evidence?.location).toStartWith("worm-fs:");
    expect(diffRunSnapshots(s, t).map((e) => e.event)).toEqual(["state", "evidence"]);
  });
});
