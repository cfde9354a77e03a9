import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PLAN_ENTITY_ORDER, planBatches } from "@semente/core/pipeline";
import { buildReport, readCheckpoints, recomputeDatasetDigest } from "../../src/evidence/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { devManifest, insertEndedRun } from "./utils.ts";

// The planner's digest (createRunProgress over planBatches) and the evidence builder's (checkpoints
// read back from PostgreSQL) must be one definition: a second plan order would make them differ.
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase("evidence_plan_order");
});
afterAll(async () => {
  await db.drop();
});

describe("evidence and planner share one plan order", () => {
  test("the planner's digest fed through the evidence builder path comes out equal", async () => {
    // No recorded digest: the report cannot echo the planner's value, it must recompute it.
    const { runId, digest } = await insertEndedRun(db.adminSql, { recordedDigest: null });
    const checkpoints = await readCheckpoints(db.appSql, { id: runId, tenantId: "banco-alfa" });
    expect(recomputeDatasetDigest(checkpoints)).toBe(`sha256:${digest}`);
    expect(recomputeDatasetDigest([...checkpoints].reverse())).toBe(`sha256:${digest}`);

    const report = await buildReport({ sql: db.appSql, runId });
    expect(report.dataset.digest).toBe(`sha256:${digest}`);
    const plan = planBatches(devManifest().manifest);
    expect(report.batches.map((b) => `${b.entity}/${b.batch_index}`)).toEqual(
      plan.batches.map((b) => `${b.entity}/${b.batchIndex}`),
    );
    expect(report.entities.map((e) => e.entity)).toEqual(PLAN_ENTITY_ORDER.filter((e) => plan.rowsPerEntity[e] > 0));
  });
});
