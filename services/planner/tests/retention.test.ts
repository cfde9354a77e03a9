import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@semente/platform/telemetry";
import { createTestDatabase, runningRun, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import { startRetentionJob } from "../src/retention.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase("planner_retention");
});
afterAll(async () => {
  await db.drop();
});

describe("planner retention job", () => {
  test("retention - the job prunes a checkpoint older than 30 days on its own", async () => {
    const runId = await runningRun(db, "banco-alfa");
    await db.adminSql`
      insert into seed.checkpoints (tenant_id, environment, mode, run_id, entity, batch_index, from_ordinal, to_ordinal,
                                    row_count, digest, manifest_hash, key_version, reference_datetime, committed_at)
      values ('banco-alfa', 'dev', 'baseline', ${runId}, 'customers', 0, 0, 10, 10, ${"b".repeat(64)}, ${"a".repeat(64)},
              1, '2025-01-01T00:00:00Z', now() - interval '40 days')`;
    await db.adminSql`update seed.runs set state = 'completed', finished_at = now() where id = ${runId}`;
    const stop = startRetentionJob({
      sql: db.appSql,
      log: createLogger({ service: "test", level: "silent" }),
      now: () => new Date(),
      checkMs: 20,
    });
    try {
      for (let i = 0; i < 100; i++) {
        const [row] = await db.adminSql<{ n: number }[]>`select count(*)::int as n from seed.checkpoints`;
        if (row?.n === 0) break;
        await Bun.sleep(50);
      }
    } finally {
      stop();
    }
    const [left] = await db.adminSql<{ n: number }[]>`select count(*)::int as n from seed.checkpoints`;
    expect(left?.n).toBe(0);
  });
});
