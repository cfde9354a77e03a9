import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectNats } from "@semente/platform/bus";
import { createSql } from "@semente/platform/db";
import { createWorld, freePort, NIGHT, requester, type TestWorld } from "../utils.ts";

let world: TestWorld;
beforeAll(async () => {
  world = await createWorld("gw_health", { now: NIGHT });
});
afterAll(() => world.close());

const RATE_HEADERS = ["ratelimit-policy", "ratelimit", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"];

async function expectNotReady(res: Response, checks: Record<string, string>): Promise<void> {
  const problem = (await res.json()) as { code: string; status: number; checks: Record<string, string> };
  expect(res.status).toBe(503);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(problem.code).toBe("UNAVAILABLE");
  expect(problem.status).toBe(503);
  expect(problem.checks).toEqual(checks);
  for (const name of RATE_HEADERS) expect(res.headers.get(name)).not.toBeNull();
  expect(res.headers.get("ratelimit-policy")).toBe('"ops";q=10000;w=60');
}

describe("health", () => {
  test("health - /readyz is 503 problem+json with RateLimit fields when PostgreSQL is unreachable", async () => {
    // Nothing listens on this port: every query fails with a refused connection.
    const dead = createSql(`postgres://semente_app@127.0.0.1:${freePort()}/nowhere`, { max: 1, connectTimeoutS: 1 });
    try {
      const gateway = await world.newGateway({}, NIGHT, { sql: dead });
      const send = requester(gateway.app);
      await expectNotReady(await send("GET", "/readyz"), { postgres: "down", nats: "ok" });
      const health = await send("GET", "/healthz");
      expect(health.status).toBe(200);
      expect(health.headers.get("ratelimit-remaining")).not.toBeNull();
    } finally {
      await dead.end({ timeout: 1 });
    }
  });

  test("health - /readyz is 503 problem+json with RateLimit fields when the NATS connection is closed", async () => {
    const nc = await connectNats({ servers: world.nats.url, name: "gw-health-closed" });
    await nc.close();
    const gateway = await world.newGateway({}, NIGHT, { nc });
    await expectNotReady(await requester(gateway.app)("GET", "/readyz"), { postgres: "ok", nats: "down" });
  });

  test("health - /readyz is 200 when both answer", async () => {
    const res = await requester(world.gateway.app)("GET", "/readyz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready", checks: { postgres: "ok", nats: "ok" } });
    for (const name of RATE_HEADERS) expect(res.headers.get(name)).not.toBeNull();
  });
});
