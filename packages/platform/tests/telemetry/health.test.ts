import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { createTestNats, type TestNats } from "../nats-harness.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFsWormStore, type WormStore } from "@semente/platform/evidence";
import { createHealthHandler, type HealthOptions, natsProbe, probe } from "@semente/platform/telemetry";

let db: TestDatabase;
let nats: TestNats;
const dir = mkdtempSync(join(tmpdir(), "semente-health-"));
const worm = { store: createFsWormStore({ dir: join(dir, "worm") }) };
// A WORM "folder" that is a file: its preflight fails.
writeFileSync(join(dir, "not-a-dir"), "");
const broken = { store: createFsWormStore({ dir: join(dir, "not-a-dir") }) };

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase("evidence_health"), createTestNats("evidence_health")]);
});
afterAll(async () => {
  await nats.cleanup();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) => new Request(`http://evidence${path}`);

/** The checks the evidence service wires (planner and seeder use the first two). */
const evidenceChecks = (store: WormStore, consuming: () => boolean): HealthOptions => ({
  probes: { postgres: () => db.appSql`select 1`, nats: natsProbe(nats.nc), worm: () => store.preflight() },
  conditions: { consumer: consuming },
});

describe("health endpoints", () => {
  test("health - /healthz is ok and /readyz is ready when every dependency answers", async () => {
    const handle = createHealthHandler(evidenceChecks(worm.store, () => true));
    const live = await handle(get("/healthz"));
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
    const ready = await handle(get("/readyz"));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ready",
      checks: { postgres: "ok", nats: "ok", worm: "ok", consumer: "ok" },
    });
  });

  test("health - /readyz is a 503 problem naming the WORM store and a stopped consumer", async () => {
    const handle = createHealthHandler(evidenceChecks(broken.store, () => false));
    const ready = await handle(get("/readyz"));
    expect(ready.status).toBe(503);
    expect(ready.headers.get("content-type")).toBe("application/problem+json");
    const body = (await ready.json()) as { code: string; checks: Record<string, string> };
    expect(body.code).toBe("UNAVAILABLE");
    expect(body.checks).toEqual({ postgres: "ok", nats: "ok", worm: "down", consumer: "down" });
    expect((await handle(get("/nope"))).status).toBe(404);
  });

  test("health - a probe that hangs is down after its timeout; other verbs and paths are problems", async () => {
    expect(await probe(() => new Promise(() => {}), 50)).toBe("down");
    expect(await probe(async () => 1, 50)).toBe("ok");
    const handle = createHealthHandler({ probes: { slow: () => new Promise(() => {}) }, checkTimeoutMs: 50 });
    const ready = await handle(get("/readyz"));
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks).toEqual({ slow: "down" });
    const post = await handle(new Request("http://evidence/readyz", { method: "POST" }));
    expect(post.status).toBe(405);
    expect(post.headers.get("content-type")).toBe("application/problem+json");
  });
});
