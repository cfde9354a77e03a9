import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BatchPlan } from "@semente/core/pipeline";
import { transitionRun } from "@semente/platform/runs";
import { createWorld, type TestWorld, testConfig, token } from "../../../../services/gateway/tests/utils.ts";
import { insertRun } from "../../../platform/tests/runs/run-fixture.ts";
import { commitFixture, evidenceFixture, planFixture } from "../../../platform/tests/runs/stream-fixture.ts";
import { gatewayClient } from "../../src/api/client.ts";
import { formatEta } from "../../src/commands/follow-render.ts";
import { followRun } from "../../src/commands/seed-follow.ts";

const LAYOUT = [
  { entity: "customers", batches: 6, rows: 10 },
  { entity: "loans", batches: 4, rows: 5 },
];
/** The plan `LAYOUT` describes, as `planBatches` would shape it. */
const PLAN = {
  batches: LAYOUT.flatMap((e, level) =>
    Array.from({ length: e.batches }, (_, i) => ({
      entity: e.entity,
      batchIndex: i,
      level,
      planIndex: i,
      from: i * e.rows,
      to: (i + 1) * e.rows,
    })),
  ),
  totalRows: LAYOUT.reduce((n, e) => n + e.batches * e.rows, 0),
  levels: LAYOUT.length,
} as unknown as BatchPlan;

// The per-principal budget: 3 requests a minute. Polling every 300 ms would spend it in under a second.
const QUOTA = 3;
let world: TestWorld;
let server: { stop(): unknown; port: number };
let base: string;

beforeAll(async () => {
  world = await createWorld("cli_follow");
  const gateway = await world.newGateway(
    { rateLimits: { ...testConfig().rateLimits, principal: { name: "principal", quota: QUOTA, windowSeconds: 60 } } },
    undefined,
    { runEvents: { pollMs: 50, heartbeatMs: 500, evidenceWaitMs: 5_000 } },
  );
  const app = gateway.app.listen({ port: 0, hostname: "127.0.0.1" });
  server = app.server as unknown as { stop(): unknown; port: number };
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.stop();
  await world.close();
});

/** Drives a run through its states and commits one batch every `stepMs` (as the planner would). */
async function simulate(runId: string, stepMs: number, withEvidence: boolean): Promise<void> {
  for (const to of ["admitted", "planning", "running"] as const) await transitionRun(world.db.appSql, runId, { to });
  for (const e of LAYOUT) {
    for (let i = 0; i < e.batches; i++) {
      await Bun.sleep(stepMs);
      await commitFixture(world.db.adminSql, runId, e.entity, i);
    }
  }
  await transitionRun(world.db.appSql, runId, { to: "completed", patch: { rowsWritten: PLAN.totalRows } });
  if (withEvidence) {
    await Bun.sleep(stepMs);
    await evidenceFixture(world.db.adminSql, runId);
  }
}

describe("seed --follow over the event stream", () => {
  test("follow - a run longer than the request budget allows is followed to the end in one request", async () => {
    const run = await insertRun(world.db.appSql, { tenantId: "follow-a", environment: "dev" });
    await planFixture(world.db.adminSql, run.id, LAYOUT);
    const bearer = await token({ sub: "follow-a", roles: ["read"], tenants: ["follow-a"], environments: ["dev"] });
    let requests = 0;
    const counting = gatewayClient(base, bearer);
    const client = {
      ...counting,
      events: (id: string, lastEventId?: string) => {
        requests += 1;
        return counting.events(id, lastEventId);
      },
    };
    const lines: string[] = [];
    const started = performance.now();
    const [result] = await Promise.all([
      followRun(client, run.id, PLAN, { tty: false, write: (t) => void lines.push(t), evidenceWaitMs: 5_000 }),
      simulate(run.id, 250, true),
    ]);
    const seconds = (performance.now() - started) / 1000;
    // 10 batches 250 ms apart: a 300 ms poll would have made ~10 requests, over three times the budget.
    expect(seconds).toBeGreaterThan((QUOTA * 300) / 1000 + 1);
    expect(requests).toBe(1);
    expect(result.requests).toBe(1);
    expect(result.run.state).toBe("completed");
    // The stream names the filesystem report by its key inside the store, never the server's path.
    expect(result.evidence).toBe(`worm-fs:dev/follow-a/${run.id}/${run.id}.dsse.json`);
    expect(result.perEntity).toEqual([
      { entity: "customers", planned: 60, written: 60 },
      { entity: "loans", planned: 20, written: 20 },
    ]);
    const text = lines.join("");
    expect(text).toContain(`run ${run.id}: running\n`);
    expect(text).toContain("  customers: 60/60 rows\n");
    expect(text).toContain("  loans: 20/20 rows\n");
    expect(text).toContain(`run ${run.id}: completed\n`);
    // The budget is untouched by the length of the run: another read still fits.
    expect(
      (await fetch(`${base}/api/v1/seed-runs/${run.id}`, { headers: { Authorization: `Bearer ${bearer}` } })).status,
    ).toBe(200);
  }, 30_000);

  test("follow - on a TTY, bars per entity with rate and ETA are redrawn in place", async () => {
    const run = await insertRun(world.db.appSql, { tenantId: "follow-b", environment: "dev" });
    await planFixture(world.db.adminSql, run.id, LAYOUT);
    const bearer = await token({ sub: "follow-b", roles: ["read"], tenants: ["follow-b"], environments: ["dev"] });
    const frames: string[] = [];
    const [result] = await Promise.all([
      followRun(gatewayClient(base, bearer), run.id, PLAN, { tty: true, write: (t) => void frames.push(t) }),
      simulate(run.id, 120, false),
    ]);
    expect(result.run.state).toBe("completed");
    // Without an evidence wait the follow stops at the terminal state.
    expect(result.evidence).toBeNull();
    const redraws = frames.filter((f) => f.startsWith("\x1b[3A"));
    expect(redraws.length).toBeGreaterThan(3);
    expect(frames.some((f) => /customers +\[#+-*\] +\d+\/60 {2}ETA (\d+s|--)/.test(f))).toBe(true);
    expect(frames.some((f) => /total +\[#*-*\] +\d+\/80 {2}\d+ rows\/s {2}\[running\]/.test(f))).toBe(true);
    expect(frames.at(-1)).toMatch(/loans +\[#{24}\] +20\/20 {2}ETA done/);
  }, 30_000);

  test("follow - a dropped stream is resumed with Last-Event-ID", async () => {
    const run = await insertRun(world.db.appSql, { tenantId: "follow-d", environment: "dev" });
    await planFixture(world.db.adminSql, run.id, LAYOUT);
    const bearer = await token({ sub: "follow-d", roles: ["read"], tenants: ["follow-d"], environments: ["dev"] });
    const real = gatewayClient(base, bearer);
    const sent: (string | undefined)[] = [];
    const client = {
      ...real,
      async events(id: string, lastEventId?: string) {
        sent.push(lastEventId);
        const body = await real.events(id, lastEventId);
        if (sent.length > 1) return body;
        // The first connection dies after its third chunk, as a proxy cutting it would.
        const reader = body.getReader();
        let chunks = 0;
        return new ReadableStream<Uint8Array>({
          async pull(controller) {
            const { value, done } = await reader.read();
            if (done || ++chunks > 3) {
              await reader.cancel();
              return controller.error(new TypeError("connection reset"));
            }
            controller.enqueue(value);
          },
        });
      },
    };
    const [result] = await Promise.all([
      followRun(client, run.id, PLAN, { tty: false, write: () => {} }),
      simulate(run.id, 100, false),
    ]);
    expect(result.run.state).toBe("completed");
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent[0]).toBeUndefined();
    expect(sent[1]).toMatch(/^v\d+\.r\d+\.d0\.e0$/);
  }, 30_000);

  test("follow - a refusal is final: another tenant's run is NOT_FOUND", async () => {
    const run = await insertRun(world.db.appSql, { tenantId: "follow-c", environment: "dev" });
    const bearer = await token({ sub: "follow-x", roles: ["read"], tenants: ["follow-x"], environments: ["dev"] });
    await expect(
      followRun(gatewayClient(base, bearer), run.id, PLAN, { tty: false, write: () => {} }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  test("follow - an unreachable gateway is retried, then UNAVAILABLE", async () => {
    const client = gatewayClient("http://127.0.0.1:9", "t");
    await expect(
      followRun(client, "00000000-0000-4000-8000-000000000001", PLAN, {
        tty: false,
        write: () => {},
        maxReconnects: 1,
      }),
    ).rejects.toMatchObject({ code: "UNAVAILABLE" });
  }, 15_000);

  test("follow - ETA formatting", () => {
    expect([
      formatEta(0.2),
      formatEta(59.1),
      formatEta(60),
      formatEta(185),
      formatEta(Number.NaN),
      formatEta(-1),
    ]).toEqual(["1s", "1m00s", "1m00s", "3m05s", "--", "--"]);
  });
});
