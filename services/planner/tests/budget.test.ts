import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadCostModel } from "@semente/platform/config";
import { planBatches } from "@semente/core/pipeline";
import { getRun, type Run } from "@semente/platform/runs";
import { createLogger } from "@semente/platform/telemetry";
import { createTestDatabase, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import { insertRun, writerManifest } from "../../../packages/platform/tests/pipeline/writer-fixtures.ts";
import { insertPlan, markCommitted } from "../src/batches.ts";
import { createRunBudget } from "../src/budget.ts";

// The budget charges each committed batch once: the batches a reconcile pass hands it, and, when
// it opens (a planner restart), the batches committed before and never charged.
let db: TestDatabase;
const log = createLogger({ service: "budget-test", level: "silent" });
const model = loadCostModel();
const DIGEST = `sha256:${"ab".repeat(32)}`;

beforeAll(async () => {
  db = await createTestDatabase("planner_budget");
});
afterAll(async () => {
  await db?.drop();
});

async function openBudget(run: Run) {
  // js and events serve only the 80 % alert, which these small amounts never reach.
  return createRunBudget(
    { sql: db.appSql, js: undefined as never, events: {} as never, model, log, now: () => 0 },
    run,
  );
}

async function measurements(runId: string): Promise<string[]> {
  const rows = await db.adminSql<{ batch: string }[]>`
    SELECT details ->> 'batch' AS batch FROM seed.budget_ledger
     WHERE run_id = ${runId} AND kind = 'measurement' ORDER BY batch`;
  return rows.map((r) => r.batch);
}

describe("run budget", () => {
  test("charges what a pass committed once, and on reopening the batches committed meanwhile", async () => {
    const manifest = writerManifest("banco-alfa");
    const runId = await insertRun(db.ownerSql, manifest);
    const run = (await getRun(db.appSql, runId)) as Run;
    const plan = planBatches(manifest);
    await insertPlan(db.appSql, run, plan);
    const [a, b, c] = plan.batches.map((p) => ({ entity: p.entity, batchIndex: p.batchIndex, rows: p.to - p.from }));
    if (a === undefined || b === undefined || c === undefined) throw new Error("the plan has fewer than 3 batches");

    const budget = await openBudget(run);
    expect(budget.spent()).toBe(model.evidence.per_report);
    await budget.accrue([]);
    expect(await measurements(runId)).toEqual([]);
    await markCommitted(db.appSql, runId, a, DIGEST, a.rows);
    await budget.accrue([a]);
    const afterA = budget.spent();
    expect(afterA).toBeGreaterThan(model.evidence.per_report);
    // Handed again (a pass racing a redelivery): the ledger's key refuses it, nothing is added.
    await budget.accrue([a]);
    expect(budget.spent()).toBe(afterA);

    // The planner dies after marking b and c committed, before charging them.
    await markCommitted(db.appSql, runId, b, DIGEST, b.rows);
    await markCommitted(db.appSql, runId, c, DIGEST, c.rows);
    const reopened = await openBudget(run);
    expect(reopened.spent()).toBe(afterA);
    await reopened.accrue([]);
    expect(await measurements(runId)).toEqual([a, b, c].map((x) => `${x.entity}#${x.batchIndex}`).sort());
    expect(reopened.spent()).toBeGreaterThan(afterA);
    const total = reopened.spent();
    await reopened.accrue([c]);
    expect(reopened.spent()).toBe(total);
  });
});
