import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Admission } from "../../src/admission/index.ts";
import { type Run, transitionRun } from "../../src/runs/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { createTestNats, type TestNats } from "../nats-harness.ts";
import { insertRun } from "../runs/run-fixture.ts";
import { testAdmission } from "./admission-helpers.ts";

let db: TestDatabase;
let nats: TestNats;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase("bus_admission_conc"), createTestNats("admission_conc")]);
});

afterAll(async () => {
  await Promise.all([db.drop(), nats.cleanup()]);
});

describe("admission under concurrency", () => {
  test("admission - 50 parallel submits on 3 replicas never admit more than 2 at once and lose no run", async () => {
    const errors: unknown[] = [];
    const replicas: Admission[] = await Promise.all(
      ["r1", "r2", "r3"].map((holderId) =>
        testAdmission(db, nats, { holderId, scope: "conc", sweepMs: 100, onError: (e) => errors.push(e) }),
      ),
    );
    const runs: Run[] = [];
    for (let i = 0; i < 50; i++) {
      runs.push(await insertRun(db.appSql, { environment: "staging", tenantId: `conc-${i % 10}` }));
    }
    for (const r of replicas) r.start();

    let maxActive = 0;
    let maxPerTenant = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = await db.adminSql<{ tenant_id: string; n: number }[]>`
          SELECT tenant_id, count(*)::int AS n FROM seed.runs
          WHERE environment = 'staging' AND state IN ('admitted', 'planning', 'running') GROUP BY tenant_id`;
        maxActive = Math.max(
          maxActive,
          rows.reduce((sum, r) => sum + r.n, 0),
        );
        maxPerTenant = Math.max(maxPerTenant, ...rows.map((r) => r.n), 0);
        await Bun.sleep(2);
      }
    })();

    const outcomes = await Promise.all(runs.map((run, i) => replicas[i % 3]!.submit(run)));
    expect(outcomes.filter((o) => o.state === "admitted").length).toBeLessThanOrEqual(2);

    const finished = new Set<string>();
    let turn = 0;
    const deadline = performance.now() + 20_000;
    while (finished.size < runs.length && performance.now() < deadline) {
      const active = await db.adminSql<{ id: string }[]>`
        SELECT id FROM seed.runs WHERE environment = 'staging' AND state = 'admitted' ORDER BY id`;
      for (const { id } of active) {
        await transitionRun(db.appSql, id, { to: "cancelled" });
        await replicas[turn++ % 3]!.release(id);
        finished.add(id);
      }
      if (active.length === 0) await Bun.sleep(20);
    }
    sampling = false;
    await sampler;
    await Promise.all(replicas.map((r) => r.stop()));

    expect(errors).toEqual([]);
    expect(maxActive).toBeGreaterThan(0);
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(maxPerTenant).toBeLessThanOrEqual(1);
    const states = await db.adminSql<{ state: string; n: number }[]>`
      SELECT state, count(*)::int AS n FROM seed.runs WHERE environment = 'staging' GROUP BY state`;
    expect(states.map((s) => ({ ...s }))).toEqual([{ state: "cancelled", n: 50 }]);
    const admittedAudits = await db.adminSql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM seed.audit_log WHERE action = 'run.admitted'`;
    expect(admittedAudits[0]!.n).toBe(50);
  }, 30_000);
});
