import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../../../../packages/shared/tests/harness.ts";
import { createTestNats, type TestNats } from "../../../../packages/shared/tests/nats-harness.ts";
import { createHealthHandler } from "../../src/handlers/health.ts";
import { brokenWorm, tempWorm } from "../utils.ts";

let db: TestDatabase;
let nats: TestNats;
const worm = tempWorm();
const broken = brokenWorm();

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase("evidence_health"), createTestNats("evidence_health")]);
});
afterAll(async () => {
  await nats.cleanup();
  await db.drop();
  worm.cleanup();
  broken.cleanup();
});

const get = (path: string) => new Request(`http://evidence${path}`);

describe("evidence health", () => {
  test("health - /healthz is ok and /readyz is ready when every dependency answers", async () => {
    const handle = createHealthHandler({ sql: db.appSql, nc: nats.nc, store: worm.store, consuming: () => true });
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
    const handle = createHealthHandler({ sql: db.appSql, nc: nats.nc, store: broken.store, consuming: () => false });
    const ready = await handle(get("/readyz"));
    expect(ready.status).toBe(503);
    expect(ready.headers.get("content-type")).toBe("application/problem+json");
    const body = (await ready.json()) as { code: string; checks: Record<string, string> };
    expect(body.code).toBe("UNAVAILABLE");
    expect(body.checks).toEqual({ postgres: "ok", nats: "ok", worm: "down", consumer: "down" });
    expect((await handle(get("/nope"))).status).toBe(404);
  });
});
