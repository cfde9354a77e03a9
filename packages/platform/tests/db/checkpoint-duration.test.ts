import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { withTenant } from "../../src/db/index.ts";
import { createTestDatabase, runningRun, type TestDatabase } from "../harness.ts";

let db: TestDatabase;
let runId: string;
const TENANT = "duration-a";

async function sqlState(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  throw new Error("expected a refusal");
}

beforeAll(async () => {
  db = await createTestDatabase("cp_duration");
  runId = await runningRun(db, TENANT);
  const [run] = await db.adminSql<{ manifest_hash: string; reference_datetime: Date }[]>`
    select manifest_hash, reference_datetime from seed.runs where id = ${runId}`;
  await withTenant(
    db.seederSql,
    TENANT,
    (tx) => tx`
      insert into seed.checkpoints (tenant_id, environment, mode, run_id, entity, batch_index, from_ordinal,
        to_ordinal, row_count, digest, manifest_hash, key_version, reference_datetime)
      values (${TENANT}, 'dev', 'baseline', ${runId}, 'customers', 0, 0, 10, 10, ${"ab".repeat(32)},
        ${run?.manifest_hash as string}, 1, ${run?.reference_datetime as Date})`,
    { runId },
  );
});
afterAll(() => db.drop());

const update = (set: string) =>
  withTenant(db.seederSql, TENANT, (tx) => tx.unsafe(`update seed.checkpoints set ${set} where run_id = $1`, [runId]), {
    runId,
  });

describe("checkpoint duration - the seeder's one UPDATE", () => {
  test("duration - the seeder records a batch's duration once, and changes nothing else of a checkpoint", async () => {
    const other = await sqlState(update("row_count = 11"));
    expect(other.code).toBe("42501");
    const mixed = await sqlState(update("duration_ms = 5, digest = digest"));
    expect(mixed.code).toBe("42501");
    await update("duration_ms = 7");
    const again = await sqlState(update("duration_ms = 8"));
    expect(again.code).toBe("42501");
    expect(again.message).toContain("recorded once");
    const [row] = await db.adminSql<{ duration_ms: number; row_count: number }[]>`
      select duration_ms, row_count::int as row_count from seed.checkpoints where run_id = ${runId}`;
    expect(row).toEqual({ duration_ms: 7, row_count: 10 });
  });
});
