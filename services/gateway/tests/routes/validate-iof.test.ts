import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createWorld, NIGHT, profile, requester, type TestWorld, token } from "../utils.ts";

let world: TestWorld;
let admin: string;

beforeAll(async () => {
  world = await createWorld("gw_validate_iof", { now: NIGHT });
  admin = await token();
});
afterAll(() => world.close());

describe("validate - IOF rate table boundary", () => {
  test("validate - 422 with a pointer to /reference_datetime when loans would predate the IOF table", async () => {
    const text = profile("dev", "banco-alfa");
    expect(text).toContain("2025-01-01T00:00:00Z");
    const res = await requester(world.gateway.app)("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: text.replace("2025-01-01T00:00:00Z", "2021-06-01T00:00:00Z"),
      headers: { "Idempotency-Key": "iof-boundary-1" },
    });
    const problem = (await res.json()) as { code: string; errors: { pointer: string; message: string }[] };
    expect(res.status).toBe(422);
    expect(problem.code).toBe("VALIDATION_FAILED");
    const issue = problem.errors.find((e) => e.pointer === "/reference_datetime");
    expect(issue?.message).toContain("before the IOF rate table starts on 2021-01-01");
  });
});
