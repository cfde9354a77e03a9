import { describe, expect, test } from "bun:test";
import { PROBLEM_CATALOG } from "@semente/core/errors";
import { gatewayClient, problemError, resolveToken, runExitCode } from "../../src/api/client.ts";

describe("gateway client", () => {
  test("cli - a problem+json answer becomes the SementeError it names, with its exit code", () => {
    const e = problemError(409, { code: "LEASE_HELD", detail: "held", errors: [{ pointer: "/x", message: "m" }] });
    expect(e.code).toBe("LEASE_HELD");
    expect(e.exitCode).toBe(PROBLEM_CATALOG.LEASE_HELD.exit);
    expect(e.errors).toEqual([{ pointer: "/x", message: "m" }]);
    expect(problemError(502, "<html>").code).toBe("UNAVAILABLE");
    expect(problemError(418, { code: "NOT_A_CODE" }).code).toBe("INTERNAL");
  });

  test("cli - a finished run exits 0 when completed, else with its reason's documented code", () => {
    expect(runExitCode({ state: "completed", reason: null })).toBe(0);
    const failed = { state: "failed" as const, reason: { code: "BATCH_DEAD_LETTERED" } as never };
    expect(runExitCode(failed)).toBe(6);
    const refused = { state: "failed" as const, reason: { code: "KEY_VERSION_MISMATCH" } as never };
    expect(runExitCode(refused)).toBe(5);
    expect(runExitCode({ state: "aborted", reason: { code: "OUTSIDE_WINDOW" } as never })).toBe(4);
    expect(runExitCode({ state: "cancelled", reason: null })).toBe(PROBLEM_CATALOG.INVALID_STATE.exit);
  });

  test("cli - SEMENTE_TOKEN wins; dev tokens are minted only for dev", async () => {
    const scope = { roles: ["read" as const], tenants: ["banco-alfa"], environments: ["dev"] };
    expect(await resolveToken(scope, { SEMENTE_TOKEN: "abc" })).toBe("abc");
    const secret = { GATEWAY_JWT_SECRET: `s-${"x".repeat(40)}`, SEMENTE_ENV: "dev", CI: "true" };
    expect((await resolveToken(scope, secret)).split(".")).toHaveLength(3);
    const staging = { ...scope, environments: ["staging"] };
    await expect(resolveToken(staging, secret)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });
});

describe("generated client", () => {
  test("cli - the client's types are what the contract generates (bun scripts/openapi-types.ts)", async () => {
    const { generateTypes, TYPES_FILE } = await import("../../../../scripts/openapi-types.ts");
    expect(await Bun.file(TYPES_FILE).text()).toBe(await generateTypes());
  });

  test("cli - a refusal through the generated client is the SementeError of its problem", async () => {
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        Response.json(
          {
            type: "https://semente.dev/problems/not-found",
            title: "Not found",
            status: 404,
            code: "NOT_FOUND",
            detail: "run not found",
          },
          { status: 404, headers: { "Content-Type": "application/problem+json" } },
        ),
    });
    try {
      const client = gatewayClient(`http://127.0.0.1:${server.port}/`, "t");
      await expect(client.getRun("00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "run not found",
      });
      await expect(client.events("00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({ code: "NOT_FOUND" });
    } finally {
      await server.stop(true);
    }
    await expect(gatewayClient("http://127.0.0.1:9", "t").getRun("x")).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });
});
