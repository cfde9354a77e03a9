import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runningRun } from "../../../../packages/platform/tests/harness.ts";
import type { Gateway } from "../../src/app.ts";
import { createWorld, NIGHT, profile, requester, type TestWorld, token } from "../utils.ts";

let world: TestWorld;
let staging: Gateway;
let admin: string;

beforeAll(async () => {
  world = await createWorld("gw_environment", { now: NIGHT });
  staging = await world.newGateway({ environment: "staging" });
  admin = await token();
});
afterAll(async () => {
  staging.close();
  await world.close();
});

interface ProblemBody {
  type: string;
  status: number;
  code: string;
  detail: string;
  served_environment: string;
  environment?: string;
}

async function refusals(): Promise<number> {
  const [row] = await world.db.adminSql<{ n: number }[]>`
    select count(*)::int as n from seed.audit_log where action = 'http.refuse' and reason = 'ENVIRONMENT_NOT_SERVED'`;
  return row?.n ?? 0;
}

describe("environment binding (R3.4, R6.10)", () => {
  test("environment - a dev gateway refuses a staging manifest on validate and on seed-runs, audited, nothing created", async () => {
    const send = requester(world.gateway.app);
    const before = await refusals();
    for (const [path, key] of [
      ["/api/v1/seed-profiles/validate", "env-v"],
      ["/api/v1/seed-runs", "env-r"],
    ] as const) {
      const res = await send("POST", path, {
        token: admin,
        body: profile("staging", "banco-alfa"),
        headers: { "Idempotency-Key": key },
      });
      const problem = (await res.json()) as ProblemBody;
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(problem.code).toBe("ENVIRONMENT_NOT_SERVED");
      expect(problem.type).toBe("https://semente.dev/problems/environment-not-served");
      expect(problem.served_environment).toBe("dev");
      expect(problem.environment).toBe("staging");
      expect(problem.detail).toContain("serves the 'dev' environment, not 'staging'");
    }
    expect(await refusals()).toBe(before + 2);
    const runs = await world.db.adminSql`select id from seed.runs where environment = 'staging'`;
    expect(runs.length).toBe(0);
  });

  test("environment - a staging gateway accepts the staging manifest and refuses the dev one", async () => {
    const send = requester(staging.app);
    const ok = await send("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: profile("staging", "banco-beta"),
      headers: { "Idempotency-Key": "env-st-ok" },
    });
    expect(ok.status).toBe(200);
    const refused = await send("POST", "/api/v1/seed-runs", {
      token: admin,
      body: profile("dev", "banco-beta"),
      headers: { "Idempotency-Key": "env-st-dev" },
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ProblemBody).code).toBe("ENVIRONMENT_NOT_SERVED");
    const runs = await world.db.adminSql`select id from seed.runs where tenant_id = 'banco-beta'`;
    expect(runs.length).toBe(0);
  });

  test("environment - a purge or a reseed of another environment is refused before anything is checked or written", async () => {
    const send = requester(world.gateway.app);
    const before = await world.db.adminSql<{ n: number }[]>`select count(*)::int as n from seed.runs`;
    for (const [key, body] of [
      ["env-purge", { operation: "purge", tenant: "banco-alfa", environment: "staging", mode: "load" }],
      ["env-reseed", { operation: "reseed", manifest_yaml: profile("staging", "banco-alfa") }],
    ] as const) {
      const res = await send("POST", "/api/v1/seed-runs", {
        token: admin,
        contentType: "application/json",
        body: JSON.stringify(body),
        headers: { "Idempotency-Key": key },
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as ProblemBody).code).toBe("ENVIRONMENT_NOT_SERVED");
    }
    const after = await world.db.adminSql<{ n: number }[]>`select count(*)::int as n from seed.runs`;
    expect(after[0]?.n).toBe(before[0]?.n ?? -1);
  });

  test("environment - the token is checked first: a dev-only token sending a staging manifest is FORBIDDEN", async () => {
    const devOnly = await token({ sub: "dev-only", environments: ["dev"] });
    const res = await requester(world.gateway.app)("POST", "/api/v1/seed-runs", {
      token: devOnly,
      body: profile("staging", "banco-alfa"),
      headers: { "Idempotency-Key": "env-devonly" },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as ProblemBody).code).toBe("FORBIDDEN");
  });

  test("environment - a run of another environment is refused by id (or hidden from a token without it), and so is its listing", async () => {
    const runId = await runningRun(world.db, "env-other", "staging");
    const send = requester(world.gateway.app);
    const byId = await send("GET", `/api/v1/seed-runs/${runId}`, { token: admin });
    expect(byId.status).toBe(403);
    expect(((await byId.json()) as ProblemBody).code).toBe("ENVIRONMENT_NOT_SERVED");
    const hidden = await send("GET", `/api/v1/seed-runs/${runId}`, {
      token: await token({ sub: "dev-reader", environments: ["dev"] }),
    });
    expect(hidden.status).toBe(404);
    const listed = await send("GET", "/api/v1/seed-runs?tenant=env-other&environment=staging", { token: admin });
    expect(listed.status).toBe(403);
    expect(((await listed.json()) as ProblemBody).code).toBe("ENVIRONMENT_NOT_SERVED");
    const odd = await send("GET", `/api/v1/seed-runs?tenant=env-other&environment=${"x".repeat(200)}`, {
      token: admin,
    });
    const oddProblem = (await odd.json()) as ProblemBody;
    expect(odd.status).toBe(403);
    expect(oddProblem.environment).toBeUndefined();
    expect(JSON.stringify(oddProblem)).not.toContain("xxxx");
    const cancel = await send("POST", `/api/v1/seed-runs/${runId}/cancel`, {
      token: admin,
      headers: { "Idempotency-Key": "env-cancel", "If-Match": "*" },
    });
    expect(cancel.status).toBe(403);
    const [run] = await world.db.adminSql<{ state: string }[]>`select state from seed.runs where id = ${runId}`;
    expect(run?.state).toBe("running");
  });
});
