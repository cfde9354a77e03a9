import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SementeError } from "@semente/core/errors";
import { purgeRequestDocument, submitPurgeRun } from "../../src/lifecycle/index.ts";
import { getRun, transitionRun } from "../../src/runs/index.ts";
import { testAdmission } from "../admission/admission-helpers.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { createTestNats, type TestNats } from "../nats-harness.ts";
import { insertRun } from "../runs/run-fixture.ts";
import { seedTenant } from "./utils.ts";

let db: TestDatabase;
let nats: TestNats;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase("purge_submit"), createTestNats("purge_submit")]);
});
afterAll(async () => {
  await Promise.all([db.drop(), nats.cleanup()]);
});

async function refusal(p: Promise<unknown>): Promise<SementeError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof SementeError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

async function runCount(): Promise<number> {
  const [row] = await db.adminSql<{ n: number }[]>`select count(*)::int as n from seed.runs`;
  return row?.n ?? 0;
}

describe("lifecycle - submitPurgeRun", () => {
  test("submit - a purge run takes the tenant lease like any run, with the facts of the data it removes", async () => {
    const admission = await testAdmission(db, nats, { holderId: "p1", scope: "take" });
    await seedTenant(db, "banco-alfa", ["baseline"]);
    const now = () => new Date();
    const decision = await submitPurgeRun(
      { sql: db.appSql, admission, now },
      { tenantId: "banco-alfa", environment: "dev", mode: "baseline", principal: "ttl-job" },
    );
    expect(decision.state).toBe("admitted");
    const run = decision.run;
    expect(run.operation).toBe("purge");
    expect(run.manifestHash).toBe(
      purgeRequestDocument({ tenantId: "banco-alfa", environment: "dev", mode: "baseline" }).hash,
    );
    // seedTenant's checkpoint says 2025-01-01 and key version 1
    expect(run.referenceDatetime.toISOString()).toBe("2025-01-01T00:00:00.000Z");
    expect(run.keyVersion).toBe(1);
    expect(run.rowsPlanned).toBe(0);
    expect(await admission.tenantHolder("dev", "banco-alfa")).toBe(run.id);

    // a second purge while the first holds the tenant: 409 naming the holder, no run created
    const before = await runCount();
    const held = await refusal(
      submitPurgeRun(
        { sql: db.appSql, admission, now },
        { tenantId: "banco-alfa", environment: "dev", mode: "baseline", principal: "ttl-job" },
      ),
    );
    expect(held.code).toBe("LEASE_HELD");
    expect(held.extensions.holder_run).toBe(run.id);
    expect(await runCount()).toBe(before);
    await transitionRun(db.appSql, run.id, { to: "cancelled" });
    await admission.release(run.id);
    expect(await admission.tenantHolder("dev", "banco-alfa")).toBeNull();
  });

  test("submit - a run the database shows running holds the tenant even without its KV lease", async () => {
    const admission = await testAdmission(db, nats, { holderId: "p2", scope: "db" });
    const stale = await insertRun(db.appSql, { environment: "dev", tenantId: "banco-orfao" });
    await db.adminSql`update seed.runs set state = 'running', queued_until = null where id = ${stale.id}`;
    const held = await refusal(
      submitPurgeRun(
        { sql: db.appSql, admission, now: () => new Date() },
        { tenantId: "banco-orfao", environment: "dev", mode: "baseline", principal: "ttl-job" },
      ),
    );
    expect(held.code).toBe("LEASE_HELD");
    expect(held.extensions.holder_run).toBe(stale.id);
    expect((await getRun(db.appSql, stale.id))?.state).toBe("running");
  });

  test("submit - unknown tenant 404, malformed request 422, mode outside the environment 403: nothing created", async () => {
    const admission = await testAdmission(db, nats, { holderId: "p3", scope: "bad" });
    const deps = { sql: db.appSql, admission, now: () => new Date() };
    const before = await runCount();
    const unknown = await refusal(
      submitPurgeRun(deps, { tenantId: "banco-nunca", environment: "dev", mode: "baseline", principal: "x" }),
    );
    expect(unknown.code).toBe("NOT_FOUND");
    const malformed = await refusal(
      submitPurgeRun(deps, { tenantId: "Banco Alfa", environment: "moon", mode: "baseline", principal: "x" }),
    );
    expect(malformed.code).toBe("VALIDATION_FAILED");
    expect(malformed.errors?.map((e) => e.pointer)).toEqual(["/tenant", "/environment"]);
    const mode = await refusal(
      submitPurgeRun(deps, { tenantId: "banco-alfa", environment: "dev", mode: "load", principal: "x" }),
    );
    expect(mode.code).toBe("MODE_NOT_ALLOWED");
    expect(await runCount()).toBe(before);
  });
});
