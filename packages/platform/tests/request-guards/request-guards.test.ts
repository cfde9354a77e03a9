import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createIdempotencyStore,
  createRateLimiter,
  rateLimitHeaders,
  requestFingerprint,
} from "../../src/request-guards/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase("request_guards");
});
afterAll(() => db.drop());

const policy = { name: "principal", quota: 3, windowSeconds: 60 };

describe("request guards", () => {
  test("rate limit - a token bucket shared through PostgreSQL allows the quota, then refuses", async () => {
    const a = createRateLimiter(db.appSql);
    const b = createRateLimiter(db.appSql);
    const results = [];
    for (const limiter of [a, b, a, b]) results.push(...(await limiter.take([{ policy, key: "p:1" }])));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
    expect(results[3]?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  test("rate limit - concurrent takes never over-admit", async () => {
    const limiter = createRateLimiter(db.appSql);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => limiter.take([{ policy: { ...policy, quota: 5 }, key: "p:burst" }])),
    );
    expect(results.flat().filter((r) => r.allowed).length).toBe(5);
  });

  test("rate limit - headers follow draft-ietf-httpapi-ratelimit-headers-10 plus the legacy fields", () => {
    const headers = rateLimitHeaders([
      { policy, allowed: true, remaining: 2, resetSeconds: 20, retryAfterSeconds: 0 },
      {
        policy: { name: "tenant", quota: 100, windowSeconds: 60 },
        allowed: true,
        remaining: 1,
        resetSeconds: 30,
        retryAfterSeconds: 0,
      },
    ]);
    expect(headers).toEqual({
      "RateLimit-Policy": '"principal";q=3;w=60, "tenant";q=100;w=60',
      RateLimit: '"principal";r=2;t=20, "tenant";r=1;t=30',
      "RateLimit-Limit": "100",
      "RateLimit-Remaining": "1",
      "RateLimit-Reset": "30",
    });
    expect(rateLimitHeaders([])).toEqual({});
  });

  test("idempotency - reserve, replay, conflict, in flight, stale takeover, release", async () => {
    const store = createIdempotencyStore(db.appSql, { lockSeconds: 1 });
    const req = {
      key: "k1",
      principal: "ana",
      route: "POST /x",
      fingerprint: requestFingerprint("POST /x", "ana", "h1"),
    };
    expect(await store.reserve(req)).toEqual({ kind: "reserved" });
    expect((await store.reserve(req)).kind).toBe("in_flight");
    expect(await store.reserve({ ...req, fingerprint: requestFingerprint("POST /x", "ana", "h2") })).toEqual({
      kind: "conflict",
    });
    await store.complete(req, { status: 201, headers: [["ETag", '"1"']], body: new TextEncoder().encode("{}") });
    expect(await store.reserve(req)).toEqual({
      kind: "replay",
      response: { status: 201, headers: [["ETag", '"1"']], body: new TextEncoder().encode("{}") },
    });
    const crashed = { ...req, key: "k2" };
    await store.reserve(crashed);
    await Bun.sleep(1100);
    expect(await store.reserve(crashed)).toEqual({ kind: "reserved" });
    await store.release(crashed);
    expect(await store.reserve(crashed)).toEqual({ kind: "reserved" });
  });

  test("idempotency - reserveWithin takes the token and reserves in one step, and reserves nothing when refused", async () => {
    const store = createIdempotencyStore(db.appSql);
    const bucket = { policy: { name: "tenant", quota: 2, windowSeconds: 60 }, key: "tenant:within" };
    const req = (key: string, content = "h") => ({
      key,
      principal: "ana",
      route: "POST /y",
      fingerprint: requestFingerprint("POST /y", "ana", content),
    });
    const first = await store.reserveWithin(req("w1"), bucket);
    expect(first.reservation).toEqual({ kind: "reserved" });
    expect(first.limit.remaining).toBe(1);
    await store.complete(req("w1"), { status: 200, headers: [], body: new TextEncoder().encode("ok") });
    const replay = await store.reserveWithin(req("w1"), bucket);
    expect(replay.reservation?.kind).toBe("replay");
    expect(replay.limit.remaining).toBe(0);
    const refused = await store.reserveWithin(req("w2"), bucket);
    expect(refused.limit.allowed).toBe(false);
    expect(refused.reservation).toBeNull();
    const rows = await db.adminSql`select key from seed.idempotency_keys where key = 'w2'`;
    expect(rows.length).toBe(0);
    const conflict = await store.reserveWithin(req("w1", "other"), { ...bucket, key: "tenant:within-2" });
    expect(conflict.reservation).toEqual({ kind: "conflict" });
  });
});
