import { publicEvidenceLocation } from "@semente/platform/evidence";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decodeSse, type SseMessage, transitionRun } from "@semente/platform/runs";
import { insertRun } from "../../../../packages/platform/tests/runs/run-fixture.ts";
import {
  commitFixture,
  deadLetterFixture,
  evidenceFixture,
  planFixture,
} from "../../../../packages/platform/tests/runs/stream-fixture.ts";
import type { Gateway } from "../../src/app.ts";
import { createWorld, requester, type TestWorld, token } from "../utils.ts";

let world: TestWorld;
let gateway: Gateway;
let send: ReturnType<typeof requester>;
let reader: string;

beforeAll(async () => {
  world = await createWorld("gw_events");
  gateway = await world.newGateway({}, undefined, {
    runEvents: { pollMs: 40, heartbeatMs: 300, evidenceWaitMs: 400, maxPerPrincipal: 2 },
  });
  send = requester(gateway.app);
  reader = await token({ sub: "events-reader", roles: ["read"], tenants: ["ev-a"], environments: ["dev"] });
});
afterAll(() => world.close());

type Message = SseMessage & { id: string };

/** Reads messages of an open stream one by one, failing after `ms` without one. */
function messages(res: Response) {
  const it = decodeSse(res.body as ReadableStream<Uint8Array>)[Symbol.asyncIterator]();
  return {
    async next(ms = 3_000): Promise<Message | null> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
      });
      try {
        const r = await Promise.race([it.next(), timeout]);
        return r.done ? null : r.value;
      } finally {
        clearTimeout(timer);
      }
    },
    /** Reads until a message satisfies `match`, returning everything read (that one last). */
    async until(name: string, match: (data: Record<string, unknown>) => boolean = () => true): Promise<Message[]> {
      const seen: Message[] = [];
      for (;;) {
        const m = await this.next();
        if (m === null) throw new Error(`stream ended before '${name}': ${seen.map((s) => s.event).join(",")}`);
        seen.push(m);
        if (m.event === name && match(JSON.parse(m.data))) return seen;
      }
    },
  };
}

const open = (id: string, bearer: string, headers: Record<string, string> = {}) =>
  send("GET", `/api/v1/seed-runs/${id}/events`, { token: bearer, headers });

describe("run events (SSE)", () => {
  test("events - a run's life: state, per-entity progress, rate, DLQ, evidence, end", async () => {
    const run = await insertRun(world.db.appSql, { tenantId: "ev-a", environment: "dev" });
    const res = await open(run.id, reader);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("ratelimit-policy")).not.toBeNull();
    const stream = messages(res);
    const hello = await stream.next();
    expect(hello).toMatchObject({ event: "hello", retry: 2000 });
    await stream.until("state", (d) => (d.run as { state: string }).state === "queued");

    await planFixture(world.db.adminSql, run.id, [
      { entity: "customers", batches: 2, rows: 10 },
      { entity: "loans", batches: 1, rows: 5 },
    ]);
    for (const to of ["admitted", "planning", "running"] as const) await transitionRun(world.db.appSql, run.id, { to });
    await commitFixture(world.db.adminSql, run.id, "customers", 0);
    await stream.until("progress", (p) => p.entity === "customers" && p.rows_written === 10);
    const rate = await stream.until("throughput", (t) => Number(t.rows_per_second) > 0);
    expect(JSON.parse(rate.at(-1)?.data ?? "{}")).toEqual({ rows_per_second: 2, window_seconds: 5, rows_written: 10 });

    await deadLetterFixture(world.db.adminSql, run.id, "loans", 0);
    const dlq = await stream.until("dlq");
    expect(JSON.parse(dlq.at(-1)?.data ?? "{}")).toMatchObject({ entity: "loans", batch_index: 0, attempts: 5 });
    // The same tick carries the entity's progress with its dead-lettered batch.
    expect(dlq.map((m) => JSON.parse(m.data)).find((d) => d.entity === "loans" && "rows_planned" in d)).toEqual({
      entity: "loans",
      rows_planned: 5,
      rows_written: 0,
      batches: 1,
      batches_committed: 0,
      batches_dead_lettered: 1,
    });

    await commitFixture(world.db.adminSql, run.id, "customers", 1);
    await transitionRun(world.db.appSql, run.id, { to: "completed", patch: { rowsWritten: 20 } });
    await stream.until("state", (d) => (d.run as { state: string }).state === "completed");
    const evidence = await evidenceFixture(world.db.adminSql, run.id);
    const tail = await stream.until("end");
    const ev = tail.find((m) => m.event === "evidence") as Message;
    // The filesystem report is named by its key inside the store, never by the server's path.
    expect(JSON.parse(ev.data)).toEqual({
      sha256: evidence.sha256,
      location: publicEvidenceLocation(run, evidence.location, "filesystem"),
      href: `/api/v1/seed-runs/${run.id}/evidence`,
    });
    expect(JSON.parse(tail.at(-1)?.data ?? "{}")).toEqual({ state: "completed", evidence: true });
    expect(await stream.next()).toBeNull();
    const lastId = tail.at(-1)?.id as string;
    expect(lastId).toMatch(/^v\d+\.r20\.d1\.e1$/);

    // Resuming from the last id repeats no state, DLQ or evidence event: only absolute progress, then end.
    const again = messages(await open(run.id, reader, { "Last-Event-ID": lastId }));
    const resumed = await again.until("end");
    expect(resumed.map((m) => m.event)).toEqual(["hello", "progress", "progress", "end"]);
  });

  test("events - a terminal run without evidence ends after the evidence wait", async () => {
    const run = await insertRun(world.db.appSql, { tenantId: "ev-a", environment: "dev" });
    await transitionRun(world.db.appSql, run.id, { to: "cancelled" });
    const started = performance.now();
    const got = await messages(await open(run.id, reader)).until("end");
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
    expect(got.map((m) => m.event)).toEqual(["hello", "state", "end"]);
    expect(JSON.parse(got.at(-1)?.data ?? "{}")).toEqual({ state: "cancelled", evidence: false });
  });

  test("events - heartbeats keep a quiet stream alive", async () => {
    const run = await insertRun(world.db.appSql, { tenantId: "ev-a", environment: "dev" });
    const res = await open(run.id, reader);
    const body = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const deadline = performance.now() + 3_000;
    while (!text.includes(": heartbeat\n\n") && performance.now() < deadline) {
      const { value, done } = await body.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await body.cancel();
    expect(text).toContain(": heartbeat\n\n");
  });

  test("events - another tenant's run answers like an unknown id", async () => {
    const theirs = await insertRun(world.db.appSql, { tenantId: "ev-b", environment: "dev" });
    const unknown = "00000000-0000-4000-8000-0000000000ff";
    const [hidden, missing, malformed] = await Promise.all([
      open(theirs.id, reader),
      open(unknown, reader),
      open("not-a-uuid", reader),
    ]);
    for (const res of [hidden, missing, malformed]) {
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    const strip = (p: unknown) => ({ ...(p as object), instance: undefined, trace_id: undefined });
    expect(strip(await hidden.json())).toEqual(strip(await missing.json()));
    const anonymous = await send("GET", `/api/v1/seed-runs/${theirs.id}/events`);
    expect(anonymous.status).toBe(401);
  });

  test("events - open streams are bounded per principal, and freed when a client leaves", async () => {
    const run = await insertRun(world.db.appSql, { tenantId: "ev-a", environment: "dev" });
    const bounded = await token({ sub: "events-bounded", roles: ["read"], tenants: ["ev-a"], environments: ["dev"] });
    const a = await open(run.id, bounded);
    const b = await open(run.id, bounded);
    expect([a.status, b.status]).toEqual([200, 200]);
    const refused = await open(run.id, bounded);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: "RATE_LIMITED", policy: "event-streams", retry_after: 2 });
    // Another principal is not affected.
    expect((await open(run.id, reader)).status).toBe(200);
    await a.body?.cancel();
    const c = await open(run.id, bounded);
    expect(c.status).toBe(200);
    await Promise.all([b.body?.cancel(), c.body?.cancel()]);
  });
});
