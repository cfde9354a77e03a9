import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Environment } from "@semente/core/manifest";
import type { Gateway } from "../../src/app.ts";
import { createWorld, NIGHT, PROFILES_DIR, profile, requester, type TestWorld, token } from "../utils.ts";

let world: TestWorld;
let admin: string;

beforeAll(async () => {
  world = await createWorld("gw_validate", { now: NIGHT });
  admin = await token();
});
afterAll(() => world.close());

const RATE_HEADERS = ["ratelimit-policy", "ratelimit", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"];

function expectRateHeaders(response: Response): void {
  for (const name of RATE_HEADERS) expect(response.headers.get(name)).not.toBeNull();
}

describe("validate", () => {
  const canonical = readdirSync(PROFILES_DIR).flatMap((env) =>
    readdirSync(resolve(PROFILES_DIR, env)).map((file) => [env, file.replace(/\.yaml$/, "")] as const),
  );

  // A gateway serves one environment: each canonical manifest goes to a gateway of its own.
  const gateways = new Map<string, Gateway>();
  const gatewayOf = async (env: string): Promise<Gateway> => {
    if (env === "dev") return world.gateway;
    let gateway = gateways.get(env);
    if (gateway === undefined) {
      gateway = await world.newGateway({ environment: env as Environment });
      gateways.set(env, gateway);
    }
    return gateway;
  };
  afterAll(() => {
    for (const gateway of gateways.values()) gateway.close();
  });

  test.each(canonical)("validate - accepts the canonical manifest %s/%s with a plan", async (env, tenant) => {
    const send = requester((await gatewayOf(env)).app);
    const res = await send("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: profile(env, tenant),
      headers: { "Idempotency-Key": `canon-${env}-${tenant}` },
    });
    const body = (await res.json()) as { manifest_hash: string; plan: Record<string, unknown>; warnings: unknown[] };
    expect(res.status).toBe(200);
    expect(body.manifest_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Object.keys(body.plan).sort()).toEqual(["batches", "estimated_cost", "estimated_duration_s", "rows"]);
    expect((body.plan.rows as Record<string, number>).tenants).toBe(1);
    expect(Array.isArray(body.warnings)).toBe(true);
    expectRateHeaders(res);
  });

  test("validate - accepts the same manifest as JSON", async () => {
    const send = requester(world.gateway.app);
    const yaml = await send("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: profile("dev", "banco-alfa"),
      headers: { "Idempotency-Key": "json-a" },
    });
    const res = await send("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: JSON.stringify(Bun.YAML.parse(profile("dev", "banco-alfa"))),
      contentType: "application/json",
      headers: { "Idempotency-Key": "json-b" },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { manifest_hash: string }).manifest_hash).toBe(
      ((await yaml.json()) as { manifest_hash: string }).manifest_hash,
    );
  });

  test("validate - 422 lists every error with pointer and line, without echoing values", async () => {
    const broken = profile("dev", "banco-alfa")
      .replace("profile: dev-baseline", "profile: secret value xyz!")
      .replace("key_version: 1", "key_version: 0");
    const res = await requester(world.gateway.app)("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: broken,
      headers: { "Idempotency-Key": "broken-1" },
    });
    const text = await res.text();
    const problem = JSON.parse(text) as { status: number; errors: { pointer: string; line?: number }[] };
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const pointers = problem.errors.map((e) => e.pointer);
    expect(pointers).toContain("/metadata/profile");
    expect(pointers).toContain("/key_version");
    expect(problem.errors.every((e) => typeof e.line === "number" && e.line > 0)).toBe(true);
    expect(text).not.toContain("secret-value-xyz");
    expectRateHeaders(res);
  });

  test("validate - malformed YAML is a problem with a line", async () => {
    const res = await requester(world.gateway.app)("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: "metadata: [unclosed\n",
      headers: { "Idempotency-Key": "malformed-1" },
    });
    const problem = (await res.json()) as { code: string; errors: { line: number }[] };
    expect(res.status).toBe(400);
    expect(problem.code).toBe("MALFORMED_INPUT");
    expect(problem.errors[0]?.line).toBeGreaterThan(0);
  });

  test("validate - budget over 100 % is BUDGET_EXCEEDED, over 80 % a warning", async () => {
    const send = requester(world.gateway.app);
    const base = profile("dev", "banco-alfa");
    const first = (await (
      await send("POST", "/api/v1/seed-profiles/validate", {
        token: admin,
        body: base,
        headers: { "Idempotency-Key": "b-0" },
      })
    ).json()) as { plan: { estimated_cost: number } };
    const cost = first.plan.estimated_cost;
    const over = base.replace(
      "budget: { max_cost: 0.1, currency: USD }",
      `budget: { max_cost: ${cost / 2}, currency: USD }`,
    );
    const near = base.replace(
      "budget: { max_cost: 0.1, currency: USD }",
      `budget: { max_cost: ${cost / 0.9}, currency: USD }`,
    );
    const refused = await send("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: over,
      headers: { "Idempotency-Key": "b-1" },
    });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { code: string }).code).toBe("BUDGET_EXCEEDED");
    const warned = await send("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: near,
      headers: { "Idempotency-Key": "b-2" },
    });
    const body = (await warned.json()) as { warnings: { pointer: string }[] };
    expect(warned.status).toBe(200);
    expect(body.warnings.map((w) => w.pointer)).toContain("/budget/max_cost");
  });

  test("validate - load mode outside staging/perf is MODE_NOT_ALLOWED", async () => {
    const res = await requester(world.gateway.app)("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: profile("dev", "banco-alfa").replace("mode: baseline", "mode: load"),
      headers: { "Idempotency-Key": "mode-1" },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe("MODE_NOT_ALLOWED");
  });

  test("validate - unsupported content type is 415", async () => {
    const res = await requester(world.gateway.app)("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: "x",
      contentType: "text/html",
      headers: { "Idempotency-Key": "ct-1" },
    });
    expect(res.status).toBe(415);
  });

  test("validate - the limit is hit: 429 with Retry-After and the RateLimit fields", async () => {
    const gateway = await world.newGateway({
      rateLimits: {
        principal: { name: "principal", quota: 3, windowSeconds: 60 },
        tenant: { name: "tenant", quota: 100, windowSeconds: 60 },
        ip: { name: "ip", quota: 100, windowSeconds: 60 },
        ops: { name: "ops", quota: 100, windowSeconds: 60 },
      },
    });
    const send = requester(gateway.app);
    const limited = await token({ sub: "limited-user" });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await send("POST", "/api/v1/seed-profiles/validate", {
        token: limited,
        body: profile("dev", "banco-beta"),
        headers: { "Idempotency-Key": `rl-${i}` },
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const res = last as Response;
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get("ratelimit-policy")).toBe('"principal";q=3;w=60');
    expect(res.headers.get("ratelimit")).toMatch(/^"principal";r=0;t=\d+$/);
    expect(res.headers.get("ratelimit-remaining")).toBe("0");
    expect(((await res.json()) as { code: string }).code).toBe("RATE_LIMITED");
    const audit = await world.db
      .adminSql`select reason from seed.audit_log where actor = 'limited-user' and reason = 'RATE_LIMITED'`;
    expect(audit.length).toBe(1);
  });

  test("validate - the per-tenant limit is shared by every principal and replica", async () => {
    const policies = {
      principal: { name: "principal", quota: 100, windowSeconds: 60 },
      tenant: { name: "tenant", quota: 2, windowSeconds: 60 },
      ip: { name: "ip", quota: 100, windowSeconds: 60 },
      ops: { name: "ops", quota: 100, windowSeconds: 60 },
    };
    const replicaA = requester((await world.newGateway({ rateLimits: policies, environment: "homolog" })).app);
    const replicaB = requester((await world.newGateway({ rateLimits: policies, environment: "homolog" })).app);
    const body = profile("homolog", "banco-beta");
    const a = await replicaA("POST", "/api/v1/seed-profiles/validate", {
      token: await token({ sub: "t-1" }),
      body,
      headers: { "Idempotency-Key": "tn-1" },
    });
    const b = await replicaB("POST", "/api/v1/seed-profiles/validate", {
      token: await token({ sub: "t-2" }),
      body,
      headers: { "Idempotency-Key": "tn-2" },
    });
    const c = await replicaA("POST", "/api/v1/seed-profiles/validate", {
      token: await token({ sub: "t-3" }),
      body,
      headers: { "Idempotency-Key": "tn-3" },
    });
    expect([a.status, b.status, c.status]).toEqual([200, 200, 429]);
    expect(c.headers.get("ratelimit-policy")).toBe('"principal";q=100;w=60, "tenant";q=2;w=60');
  });
});
