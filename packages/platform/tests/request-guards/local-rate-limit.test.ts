import { describe, expect, test } from "bun:test";
import { createLocalRateLimiter } from "../../src/request-guards/index.ts";

const policy = { name: "ops", quota: 2, windowSeconds: 10 };

describe("local rate limit", () => {
  test("local rate limit - allows the quota, refuses, then refills with the clock like the shared buckets", async () => {
    let at = 0;
    const limiter = createLocalRateLimiter({ clock: () => at });
    const take = async () => (await limiter.take([{ policy, key: "ops:1" }]))[0];
    expect((await take())?.remaining).toBe(1);
    expect((await take())?.allowed).toBe(true);
    const refused = await take();
    expect(refused).toEqual({ policy, allowed: false, remaining: 0, resetSeconds: 10, retryAfterSeconds: 5 });
    at = 5_000;
    expect((await take())?.allowed).toBe(true);
    expect((await limiter.take([{ policy, key: "ops:2" }]))[0]?.remaining).toBe(1);
  });

  test("local rate limit - keeps at most maxKeys buckets and purges idle ones", async () => {
    let at = 0;
    const limiter = createLocalRateLimiter({ clock: () => at, maxKeys: 2 });
    for (const key of ["a", "b", "c"]) await limiter.take([{ policy, key }]);
    // "a" was evicted, so it starts full again.
    expect((await limiter.take([{ policy, key: "a" }]))[0]?.remaining).toBe(1);
    at = 60_000;
    expect(await limiter.purgeIdle(30)).toBe(2);
  });
});
