import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isSementeError } from "@semente/core/errors";
import { plannedRows } from "@semente/core/manifest";
import type { BatchMessage } from "@semente/core/pipeline";
import {
  type BatchWriter,
  classifyFailure,
  createBatchWriter,
  FailureAction,
  WriteOutcome,
} from "../../src/pipeline/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import type { VaultTestServer } from "../keys/vault-server.ts";
import {
  bankingCounts,
  batchMessages,
  checkpointCount,
  insertRun,
  startTestVault,
  writerManifest,
} from "./writer-fixtures.ts";

let db: TestDatabase;
let vault: VaultTestServer;
let writer: BatchWriter;
let keys: ReturnType<typeof startTestVault>["keys"];

beforeAll(async () => {
  db = await createTestDatabase("pipeline_writer");
  ({ vault, keys } = startTestVault(["banco-alfa", "banco-beta"]));
  writer = createBatchWriter({ sql: db.seederSql, keys });
});
afterAll(async () => {
  await db?.drop();
  await vault?.stop();
});

async function writeAll(w: BatchWriter, messages: readonly BatchMessage[]) {
  const results = [];
  for (const msg of messages) results.push(await w.write(msg, { attempt: 1 }));
  return results;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );
}

describe("batch writer", () => {
  const manifest = writerManifest("banco-alfa");
  let runId: string;
  let messages: BatchMessage[];
  const digests = new Map<number, string>();

  test("writer - commits every batch with its checkpoint; counts equal the manifest", async () => {
    runId = await insertRun(db.ownerSql, manifest);
    messages = batchMessages(runId, manifest);
    const results = await writeAll(writer, messages);
    for (const r of results) {
      expect(r.outcome).toBe(WriteOutcome.committed);
      if (r.outcome === "committed") {
        expect(r.checkpoint.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(r.checkpoint.duplicate).toBe(false);
        digests.set(r.checkpoint.planIndex, r.checkpoint.digest);
      }
    }
    expect(await bankingCounts(db.adminSql, "banco-alfa")).toEqual(plannedRows(manifest).perEntity);
    expect(await checkpointCount(db.adminSql, runId)).toBe(messages.length);
    const stored = await db.adminSql<{ digest: string; row_count: string; manifest_hash: string }[]>`
      SELECT digest, row_count::text AS row_count, manifest_hash FROM seed.checkpoints
      WHERE run_id = ${runId} AND entity = ${messages[3]?.entity ?? ""} AND batch_index = ${messages[3]?.batchIndex ?? -1}`;
    expect(`sha256:${stored[0]?.digest}`).toBe(digests.get(messages[3]?.planIndex ?? -1) as string);
    expect(Number(stored[0]?.row_count)).toBe((messages[3]?.to ?? 0) - (messages[3]?.from ?? 0));
    expect(`sha256:${stored[0]?.manifest_hash}`).toBe(messages[0]?.manifestHash as string);
    // Every row was validated against its contract, counted per checkpoint, and each batch timed.
    const counted = await db.adminSql<{ unvalidated: number; untimed: number }[]>`
      SELECT count(*) FILTER (WHERE rows_validated IS DISTINCT FROM row_count)::int AS unvalidated,
             count(*) FILTER (WHERE duration_ms IS NULL)::int AS untimed
        FROM seed.checkpoints WHERE run_id = ${runId}`;
    expect(counted[0]).toEqual({ unvalidated: 0, untimed: 0 });
  });

  test("writer - a redelivered batch is a duplicate: acked without writing twice", async () => {
    const before = await bankingCounts(db.adminSql, "banco-alfa");
    const msg = messages[5] as BatchMessage;
    const again = await writer.write(msg, { attempt: 2 });
    expect(again.outcome).toBe(WriteOutcome.duplicate);
    if (again.outcome === "duplicate") {
      expect(again.checkpoint.duplicate).toBe(true);
      expect(again.checkpoint.digest).toBe(digests.get(msg.planIndex) as string);
      expect(again.checkpoint.attempt).toBe(2);
    }
    expect(await bankingCounts(db.adminSql, "banco-alfa")).toEqual(before);
    expect(await checkpointCount(db.adminSql, runId)).toBe(messages.length);
  });

  test("writer - a failing insert leaves neither rows nor checkpoint (one transaction)", async () => {
    const other = writerManifest("banco-alfa", { batch_size: 40 });
    const id = await insertRun(db.ownerSql, other);
    // The first batch of `other` re-inserts the tenant row that run `runId` committed: unique violation.
    const first = batchMessages(id, other)[0] as BatchMessage;
    const error = await failure(writer.write(first, { attempt: 1 }));
    expect(classifyFailure(error).action).toBe(FailureAction.poison);
    expect(await checkpointCount(db.adminSql, id)).toBe(0);
  });

  test("writer - a dry run writes nothing, keeps no checkpoint and reports the same digests", async () => {
    const before = await bankingCounts(db.adminSql, "banco-alfa");
    const dryId = await insertRun(db.ownerSql, manifest, { dryRun: true });
    const results = await writeAll(writer, batchMessages(dryId, manifest, { dryRun: true }));
    for (const r of results) {
      expect(r.outcome).toBe(WriteOutcome.dryRun);
      if (r.outcome === "dry_run") {
        expect(r.checkpoint.dryRun).toBe(true);
        expect(r.checkpoint.digest).toBe(digests.get(r.checkpoint.planIndex) as string);
      }
    }
    expect(await bankingCounts(db.adminSql, "banco-alfa")).toEqual(before);
    expect(await checkpointCount(db.adminSql, dryId)).toBe(0);
  });

  test("writer - a cancelled run is skipped within one batch and nothing is written", async () => {
    const beta = writerManifest("banco-beta");
    const id = await insertRun(db.ownerSql, beta);
    const msgs = batchMessages(id, beta);
    expect((await writer.write(msgs[0] as BatchMessage, { attempt: 1 })).outcome).toBe(WriteOutcome.committed);
    await db.ownerSql`UPDATE seed.runs SET state = 'cancelled', finished_at = now() WHERE id = ${id}`;
    const before = await bankingCounts(db.adminSql, "banco-beta");
    const next = await writer.write(msgs[1] as BatchMessage, { attempt: 1 });
    expect(next).toEqual({ outcome: WriteOutcome.skipped, state: "cancelled" });
    expect(await bankingCounts(db.adminSql, "banco-beta")).toEqual(before);
    expect(await checkpointCount(db.adminSql, id)).toBe(1);
  });

  test("writer - two concurrent deliveries of one batch commit it once (serialization failure retried)", async () => {
    const beta = writerManifest("banco-beta", { batch_size: 30 });
    // The cancelled run above committed only banco-beta's tenant row; this run starts clean.
    await db.adminSql`DELETE FROM banking.tenants WHERE id = 'banco-beta'`;
    const id = await insertRun(db.ownerSql, beta);
    const msgs = batchMessages(id, beta);
    const retries: string[] = [];
    const racer = createBatchWriter({
      sql: db.seederSql,
      keys,
      retry: { onRetry: (e) => retries.push(String((e as { code?: string }).code)) },
    });
    // Parents first, then race the two deliveries of one child batch.
    const child = msgs.findIndex((m) => m.level > 0);
    await writeAll(racer, msgs.slice(0, child));
    const before = await bankingCounts(db.adminSql, "banco-beta");
    const target = msgs[child] as BatchMessage;
    const outcomes = await Promise.all([
      racer.write(target, { attempt: 1 }),
      racer.write(target, { attempt: 2 }),
      racer.write(target, { attempt: 3 }),
    ]);
    const kinds = outcomes.map((o) => o.outcome).sort();
    expect(kinds).toEqual([WriteOutcome.committed, WriteOutcome.duplicate, WriteOutcome.duplicate]);
    const after = await bankingCounts(db.adminSql, "banco-beta");
    expect((after[target.entity] ?? 0) - (before[target.entity] ?? 0)).toBe(target.to - target.from);
    expect(retries.every((code) => code === "40001" || code === "40P01")).toBe(true);
  });
});

describe("batch writer fail-closed", () => {
  test("writer - a lock timeout is retried in-process, then the batch commits", async () => {
    const manifest = writerManifest("banco-alfa", {
      batch_size: 1000,
      timeouts: { statement_timeout_ms: 5_000, lock_timeout_ms: 100 },
      metadata: { ...writerManifest("banco-alfa").metadata, version: "1.0.1-lock" },
    });
    await db.adminSql`TRUNCATE banking.tenants CASCADE`;
    const id = await insertRun(db.ownerSql, manifest);
    const retries: string[] = [];
    const w = createBatchWriter({
      sql: db.seederSql,
      keys,
      retry: { attempts: 8, onRetry: (e) => retries.push(String((e as { code?: string }).code)) },
    });
    const first = batchMessages(id, manifest)[0] as BatchMessage;
    const locked = db.adminSql.begin(async (tx) => {
      await tx`LOCK TABLE banking.tenants IN ACCESS EXCLUSIVE MODE`;
      await Bun.sleep(400);
    });
    await Bun.sleep(50);
    const result = await w.write(first, { attempt: 1 });
    await locked;
    expect(result.outcome).toBe(WriteOutcome.committed);
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((code) => code === "55P03")).toBe(true);
  });

  test("writer - a key version other than the provider's fails closed and writes nothing", async () => {
    const manifest = writerManifest("banco-beta", {
      metadata: { ...writerManifest("banco-beta").metadata, version: "1.0.1-kv" },
    });
    const id = await insertRun(db.ownerSql, manifest);
    const msgs = batchMessages(id, manifest);
    // The last use of banco-beta's key in this file: rotating it leaves the run on version 1.
    vault.rotate("semente-fpe-dev-banco-beta");
    const fresh = createBatchWriter({ sql: db.seederSql, keys });
    const before = await bankingCounts(db.adminSql, "banco-beta");
    const error = await failure(fresh.write(msgs[0] as BatchMessage, { attempt: 1 }));
    expect(isSementeError(error) && error.code).toBe("KEY_VERSION_MISMATCH");
    expect(classifyFailure(error).action).toBe(FailureAction.poison);
    expect(await bankingCounts(db.adminSql, "banco-beta")).toEqual(before);
    expect(await checkpointCount(db.adminSql, id)).toBe(0);
  });

  test("writer - a batch whose key version differs from its run's is refused", async () => {
    const manifest = writerManifest("banco-alfa", {
      metadata: { ...writerManifest("banco-alfa").metadata, version: "1.0.1-m" },
    });
    const id = await insertRun(db.ownerSql, manifest);
    const msg = { ...(batchMessages(id, manifest)[0] as BatchMessage), keyVersion: 2 };
    const error = await failure(writer.write(msg, { attempt: 1 }));
    expect(isSementeError(error) && error.code).toBe("KEY_VERSION_MISMATCH");
    expect(await checkpointCount(db.adminSql, id)).toBe(0);
  });

  test("writer - a batch of an unknown run is refused as poison", async () => {
    const manifest = writerManifest("banco-alfa");
    const msg = batchMessages(crypto.randomUUID(), manifest)[0] as BatchMessage;
    const error = await failure(writer.write(msg, { attempt: 1 }));
    expect(isSementeError(error) && error.code).toBe("NOT_FOUND");
    expect(classifyFailure(error).action).toBe(FailureAction.poison);
  });
});
