import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCheckpointPruner } from "../../src/lifecycle/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { seedTenant } from "./utils.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("retention");
});
afterAll(async () => {
  await db.drop();
});

const checkpoints = () =>
  db.adminSql<{ tenant_id: string; mode: string; old: boolean }[]>`
    select tenant_id, mode, committed_at < now() - interval '30 days' as old from seed.checkpoints order by 1, 2`;

describe("lifecycle - checkpoint retention", () => {
  test("retention - checkpoints older than 30 days are pruned and audited, on the injected clock's schedule", async () => {
    const alfa = await seedTenant(db, "banco-alfa", ["baseline", "load"]);
    await seedTenant(db, "banco-beta", ["baseline"]);
    await db.adminSql`
      update seed.checkpoints set committed_at = now() - interval '31 days'
       where (tenant_id = 'banco-alfa' and mode = 'baseline') or tenant_id = 'banco-beta'`;
    // an old checkpoint of a run still running is kept
    await db.adminSql`update seed.runs set state = 'running', finished_at = null where id = ${alfa.runId}`;
    let clock = new Date("2026-11-28T00:00:00Z");
    const pruner = createCheckpointPruner({ sql: db.appSql, now: () => clock, intervalMs: 3_600_000 });

    expect(await pruner.tick()).toEqual([{ tenantId: "banco-beta", environment: "dev", mode: "baseline", deleted: 1 }]);
    expect([...(await checkpoints())]).toEqual([
      { tenant_id: "banco-alfa", mode: "baseline", old: true },
      { tenant_id: "banco-alfa", mode: "load", old: false },
    ]);

    await db.adminSql`update seed.runs set state = 'completed', finished_at = now() where id = ${alfa.runId}`;
    clock = new Date(clock.getTime() + 60_000);
    expect(await pruner.tick()).toBeNull();
    clock = new Date(clock.getTime() + 3_600_000);
    expect(await pruner.tick()).toEqual([{ tenantId: "banco-alfa", environment: "dev", mode: "baseline", deleted: 1 }]);
    expect([...(await checkpoints())]).toEqual([{ tenant_id: "banco-alfa", mode: "load", old: false }]);

    const audit = await db.adminSql<{ tenant_id: string; details: { deleted: number } }[]>`
      select tenant_id, details from seed.audit_log where action = 'checkpoints.prune' order by id`;
    expect(audit.map((a) => [a.tenant_id, a.details.deleted])).toEqual([
      ["banco-beta", 1],
      ["banco-alfa", 1],
    ]);
  });
});
