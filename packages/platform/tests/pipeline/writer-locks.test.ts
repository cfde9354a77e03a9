import { afterAll, beforeAll, expect, test } from "bun:test";
import { createBatchWriter } from "../../src/pipeline/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import type { VaultTestServer } from "../keys/vault-server.ts";
import { batchMessages, insertRun, startTestVault, writerManifest } from "./writer-fixtures.ts";

// Concurrent batches of one run must not become serialization pivots of each other through
// seed.checkpoints: a batch transaction that read the table through an index held SIREAD locks on
// its pages against the other seeders' checkpoint inserts, and after a purge every regeneration
// ran at a third of its speed on 40001 retries (bench/regenerate.ts).
let db: TestDatabase;
let vault: VaultTestServer;
let keys: ReturnType<typeof startTestVault>["keys"];

beforeAll(async () => {
  db = await createTestDatabase("pipeline_writer_locks");
  ({ vault, keys } = startTestVault(["banco-alfa"]));
});
afterAll(async () => {
  await db?.drop();
  await vault?.stop();
});

test("writer - a batch transaction takes no predicate lock on seed.checkpoints' indexes, only on its own row", async () => {
  const manifest = writerManifest("banco-alfa");
  const runId = await insertRun(db.ownerSql, manifest);
  const messages = batchMessages(runId, manifest);
  const writer = createBatchWriter({ sql: db.seederSql, keys });
  const last = messages.at(-1);
  if (last === undefined) throw new Error("empty plan");
  for (const msg of messages.slice(0, -1)) await writer.write(msg, { attempt: 1 });

  // A SERIALIZABLE transaction left open keeps the SIREAD locks of the batch transactions that
  // commit while it runs, so they can be read from pg_locks after the commit.
  const holder = await db.adminSql.reserve();
  try {
    await holder`BEGIN ISOLATION LEVEL SERIALIZABLE`;
    await holder`SELECT 1`;
    const result = await writer.write(last, { attempt: 1 });
    expect(result.outcome).toBe("committed");
    const locks = await db.adminSql<{ rel: string; locktype: string }[]>`
      SELECT c.relname AS rel, l.locktype
        FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE l.mode = 'SIReadLock' AND n.nspname = 'seed' AND c.relname LIKE 'checkpoints%'`;
    // The duration update reads the row this transaction inserted, by its ctid: one tuple lock at
    // most, and none on any page or index of the table.
    expect(locks.filter((l) => l.rel !== "checkpoints" || l.locktype !== "tuple")).toEqual([]);
  } finally {
    await holder`ROLLBACK`;
    holder.release();
  }
});
