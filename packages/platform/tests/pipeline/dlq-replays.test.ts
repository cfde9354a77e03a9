import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { abandonDlqReplay, claimDlqReplay, completeDlqReplay } from "../../src/pipeline/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { insertRun } from "../runs/run-fixture.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("dlq_replays");
});
afterAll(async () => {
  await db.drop();
});

describe("DLQ replays", () => {
  test("dlq replay - the same record is claimed once; a second replay sees the first one's run", async () => {
    const source = await insertRun(db.appSql, { tenantId: "replay-co" });
    const resumed = await insertRun(db.appSql, { tenantId: "replay-co" });
    const record = { id: "SEED_BASELINE:7", dlqSeq: 3, runId: source.id };
    expect(await claimDlqReplay(db.appSql, record, "cli:a")).toEqual({ kind: "claimed" });
    const concurrent = await claimDlqReplay(db.appSql, record, "cli:b");
    expect(concurrent.kind).toBe("in_progress");
    await completeDlqReplay(db.appSql, record.id, { replayRun: resumed.id });
    const again = await claimDlqReplay(db.appSql, record, "cli:b");
    expect(again).toMatchObject({ kind: "done", replayRun: resumed.id, republished: null });
    const rows = await db.adminSql`select count(*)::int as n from seed.dlq_replays`;
    expect(rows[0]?.n).toBe(1);
  });

  test("dlq replay - an abandoned claim can be retried; a stale claim (crashed holder) is taken over", async () => {
    const record = { id: "SEED_LOAD:9", dlqSeq: 4, runId: crypto.randomUUID() };
    expect(await claimDlqReplay(db.appSql, record, "cli:a")).toEqual({ kind: "claimed" });
    await abandonDlqReplay(db.appSql, record.id);
    expect(await claimDlqReplay(db.appSql, record, "cli:a")).toEqual({ kind: "claimed" });
    await db.adminSql`update seed.dlq_replays set claimed_at = now() - interval '11 minutes' where dlq_id = ${record.id}`;
    expect(await claimDlqReplay(db.appSql, record, "cli:b")).toEqual({ kind: "claimed" });
    await completeDlqReplay(db.appSql, record.id, { republished: "SEED_LOAD:12" });
    expect(await claimDlqReplay(db.appSql, record, "cli:c")).toMatchObject({
      kind: "done",
      replayRun: null,
      republished: "SEED_LOAD:12",
    });
    // A record whose run is unknown is still tracked (source_run NULL), and a done claim is never taken over.
    await db.adminSql`update seed.dlq_replays set claimed_at = now() - interval '1 day' where dlq_id = ${record.id}`;
    expect((await claimDlqReplay(db.appSql, record, "cli:d")).kind).toBe("done");
  });
});
