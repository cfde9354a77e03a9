import { describe, expect, test } from "bun:test";
import type { Principal } from "@semente/platform/auth";
import { SementeError } from "@semente/core/errors";
import { cacheVerifiedTokens } from "../../src/http/token-cache.ts";

const principal = (expiresAt: number): Principal => ({
  subject: "ana",
  roles: ["read"],
  tenants: ["banco-alfa"],
  environments: ["dev"],
  expiresAt,
});

describe("token cache", () => {
  test("token cache - verifies a token once until it expires, never remembers a failure", async () => {
    let now = 1_000;
    const calls: string[] = [];
    const verify = cacheVerifiedTokens(
      async (token) => {
        calls.push(token);
        if (token === "bad") throw new SementeError("UNAUTHENTICATED", "token invalid");
        return principal(1_010);
      },
      { clock: () => now },
    );
    expect(await verify("good")).toEqual(principal(1_010));
    expect(await verify("good")).toEqual(principal(1_010));
    expect(calls).toEqual(["good"]);
    await expect(verify("bad")).rejects.toThrow("token invalid");
    await expect(verify("bad")).rejects.toThrow("token invalid");
    expect(calls).toEqual(["good", "bad", "bad"]);
    now = 1_010;
    await verify("good");
    expect(calls).toEqual(["good", "bad", "bad", "good"]);
  });

  test("token cache - keeps at most maxEntries tokens", async () => {
    const calls: string[] = [];
    const verify = cacheVerifiedTokens(
      async (token) => {
        calls.push(token);
        return principal(2_000);
      },
      { clock: () => 1_000, maxEntries: 2 },
    );
    for (const token of ["a", "b", "c", "a"]) await verify(token);
    expect(calls).toEqual(["a", "b", "c", "a"]);
  });
});
