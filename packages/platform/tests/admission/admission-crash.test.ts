import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { tenantLeaseKey } from "../../src/bus/index.ts";
import { readLease } from "../../src/admission/index.ts";
import { requireRun } from "../../src/runs/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { createTestNats, type TestNats } from "../nats-harness.ts";
import { insertRun } from "../runs/run-fixture.ts";
import { bucketsFor, runEventsFor, testAdmission, waitFor } from "./admission-helpers.ts";

const TTL_MS = 1_500;

let db: TestDatabase;
let nats: TestNats;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase("bus_admission_crash"), createTestNats("admission_crash")]);
});

afterAll(async () => {
  await Promise.all([db.drop(), nats.cleanup()]);
});

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.split("\n")[0] ?? "";
}

describe("admission after a holder crash", () => {
  test("admission - kill -9 of the holder frees its slot and tenant lease within the TTL", async () => {
    const orphan = await insertRun(db.appSql, { environment: "staging", tenantId: "crash-co" });
    const events = runEventsFor(nats);
    const child = Bun.spawn(["bun", join(import.meta.dir, "fixtures", "holder.ts")], {
      env: {
        ...process.env,
        HOLDER_DATABASE_URL: db.urls.app,
        HOLDER_NATS_URL: nats.url,
        HOLDER_TTL_MS: String(TTL_MS),
        HOLDER_ID: "doomed",
        HOLDER_SLOTS: "1",
        HOLDER_PREFIX: `${nats.prefix}crash_`,
        HOLDER_STREAM: events.streamName,
        HOLDER_SUBJECT_PREFIX: events.subjectPrefix,
        HOLDER_RUN_ID: orphan.id,
      },
      stdout: "pipe",
      stderr: "inherit",
    });
    try {
      expect(await firstLine(child.stdout)).toBe(`admitted ${orphan.id}`);
      const buckets = await bucketsFor(nats, "crash");
      const key = tenantLeaseKey("staging", "crash-co");
      const initial = await readLease(buckets.tenantLeases, key);
      // The holder heartbeats: its lease outlives the first TTL.
      await waitFor(
        async () => ((await readLease(buckets.tenantLeases, key))?.revision ?? 0) > initial!.revision,
        2_000,
      );
      expect((await readLease(buckets.tenantLeases, key))?.value?.holderId).toBe("doomed");

      child.kill(9);
      await child.exited;
      const killedAt = performance.now();

      const survivor = await testAdmission(db, nats, {
        holderId: "survivor",
        scope: "crash",
        globalSlots: 1,
        slotLeaseTtlMs: TTL_MS,
        tenantLeaseTtlMs: TTL_MS,
        sweepMs: 100,
      });
      const next = await insertRun(db.appSql, { environment: "staging", tenantId: "crash-co" });
      expect((await survivor.submit(next)).state).toBe("queued");
      survivor.start();
      try {
        await waitFor(async () => (await requireRun(db.appSql, next.id)).state === "admitted", TTL_MS + 1_500);
      } finally {
        await survivor.stop();
      }
      expect(performance.now() - killedAt).toBeLessThan(TTL_MS + 1_000);

      const failed = await requireRun(db.appSql, orphan.id);
      expect(failed.state).toBe("failed");
      expect(failed.reason).toMatchObject({ code: "LEASE_LOST", status: 409 });
      const audit = await db.adminSql<{ reason: string; actor: string }[]>`
        SELECT reason, actor FROM seed.audit_log WHERE run_id = ${orphan.id} AND action = 'run.failed'`;
      expect(audit.map((a) => ({ ...a }))).toEqual([{ reason: "LEASE_LOST", actor: "gateway" }]);
      expect((await readLease(buckets.tenantLeases, key))?.value).toMatchObject({
        runId: next.id,
        holderId: "survivor",
      });
    } finally {
      child.kill(9);
    }
  }, 20_000);
});
