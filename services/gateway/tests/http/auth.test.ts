import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mintToken } from "@semente/platform/auth";
import { createWorld, KEYS, NIGHT, profile, requester, type TestWorld, token } from "../utils.ts";

let world: TestWorld;
let runPath: string;
let etag: string;

beforeAll(async () => {
  world = await createWorld("gw_auth", { now: NIGHT });
  const created = await requester(world.gateway.app)("POST", "/api/v1/seed-runs", {
    token: await token(),
    body: profile("dev", "banco-alfa"),
    headers: { "Idempotency-Key": "seed-run" },
  });
  runPath = created.headers.get("location") as string;
  etag = created.headers.get("etag") as string;
});
afterAll(() => world.close());

/** Every authenticated route, with a request that would otherwise succeed. */
const routes = () => [
  {
    name: "validate",
    method: "POST",
    path: "/api/v1/seed-profiles/validate",
    body: profile("dev", "banco-alfa"),
    write: true,
  },
  { name: "create", method: "POST", path: "/api/v1/seed-runs", body: profile("dev", "banco-alfa"), write: true },
  { name: "list", method: "GET", path: "/api/v1/seed-runs?tenant=banco-alfa&environment=dev", write: false },
  { name: "get", method: "GET", path: runPath, write: false },
  { name: "cancel", method: "POST", path: `${runPath}/cancel`, headers: { "If-Match": etag }, write: true },
  { name: "evidence", method: "GET", path: `${runPath}/evidence`, write: false },
];

async function call(route: ReturnType<typeof routes>[number], authorization: string | undefined, key: string) {
  const headers: Record<string, string> = { "Idempotency-Key": key, ...(route.headers ?? {}) };
  if (authorization !== undefined) headers.Authorization = authorization;
  if (route.body !== undefined) headers["Content-Type"] = "application/yaml";
  return world.gateway.app.handle(
    new Request(`http://gateway.test${route.path}`, { method: route.method, headers, body: route.body }),
  );
}

describe("auth", () => {
  test("auth - missing, malformed, forged and expired tokens are 401 with WWW-Authenticate on every route", async () => {
    const forged = await mintToken(
      { ...KEYS, secret: new TextEncoder().encode("another-secret-another-secret-0123456") },
      {
        subject: "x",
        roles: ["admin"],
        tenants: ["*"],
        environments: ["*"],
        ttlSeconds: 3600,
        issuedAt: Math.floor(Date.now() / 1000),
      },
    );
    const expired = await token({ iat: Math.floor(Date.now() / 1000) - 7200, ttl: 60 });
    const wrongAudience = await mintToken(
      { ...KEYS, audience: "elsewhere" },
      {
        subject: "x",
        roles: ["admin"],
        tenants: ["*"],
        environments: ["*"],
        ttlSeconds: 3600,
        issuedAt: Math.floor(Date.now() / 1000),
      },
    );
    for (const route of routes()) {
      for (const auth of [undefined, "Basic abc", `Bearer ${forged}`, `Bearer ${expired}`, `Bearer ${wrongAudience}`]) {
        const res = await call(route, auth, `401-${route.name}`);
        expect(`${route.name} ${res.status}`).toBe(`${route.name} 401`);
        expect(res.headers.get("www-authenticate")).toStartWith("Bearer");
        expect(res.headers.get("ratelimit-policy")).toContain('"ip"');
      }
    }
  });

  test("auth - wrong role, tenant or environment is 403 on every route; a run outside the token's scope is 404", async () => {
    const readOnly = await token({ sub: "reader", roles: ["read"], tenants: ["banco-alfa"], environments: ["dev"] });
    const otherTenant = await token({
      sub: "other-tenant",
      roles: ["seed-runner"],
      tenants: ["banco-zeta"],
      environments: ["dev"],
    });
    const otherEnv = await token({
      sub: "other-env",
      roles: ["seed-runner"],
      tenants: ["banco-alfa"],
      environments: ["staging"],
    });
    for (const route of routes()) {
      for (const [label, jwt] of [
        ["tenant", otherTenant],
        ["env", otherEnv],
      ] as const) {
        const res = await call(route, `Bearer ${jwt}`, `403-${label}-${route.name}`);
        // A run id of another tenant or environment is answered like an unknown id: no existence oracle.
        const expected = route.path.startsWith("/api/v1/seed-runs/") ? 404 : 403;
        expect(`${route.name}/${label} ${res.status}`).toBe(`${route.name}/${label} ${expected}`);
        expect(((await res.json()) as { code: string }).code).toBe(expected === 404 ? "NOT_FOUND" : "FORBIDDEN");
      }
      if (route.write) {
        const res = await call(route, `Bearer ${readOnly}`, `403-role-${route.name}`);
        expect(`${route.name}/role ${res.status}`).toBe(`${route.name}/role 403`);
      }
    }
    // The hidden refusals are audited as what they were, without the response waiting for the write.
    await Bun.sleep(200);
    const audit = await world.db.adminSql`select actor from seed.audit_log where reason = 'FORBIDDEN'`;
    expect(audit.length).toBeGreaterThanOrEqual(15);
  });

  test("auth - another tenant's run id and an unknown id get the same answer", async () => {
    const otherTenant = await token({ roles: ["admin"], tenants: ["banco-zeta"], environments: ["*"] });
    const id = runPath.split("/").pop() as string;
    const unknown = "00000000-0000-4000-8000-000000000000";
    for (const suffix of ["", "/evidence", "/cancel"]) {
      const method = suffix === "/cancel" ? "POST" : "GET";
      const answers = await Promise.all(
        [id, unknown].map(async (runId) => {
          const res = await call(
            {
              name: "probe",
              method,
              path: `/api/v1/seed-runs/${runId}${suffix}`,
              write: false,
              headers: { "If-Match": "*" },
            },
            `Bearer ${otherTenant}`,
            `oracle-${runId}-${suffix}`,
          );
          const body = (await res.json()) as Record<string, unknown>;
          const headers = [...res.headers.keys()].filter((h) => h !== "traceparent").sort();
          return { status: res.status, body: { ...body, instance: undefined }, headers };
        }),
      );
      expect(answers[0]).toEqual(answers[1] as (typeof answers)[number]);
      expect(answers[0]?.status).toBe(404);
    }
  });

  test("auth - read may GET, seed-runner may validate within its tenant", async () => {
    const reader = await token({ roles: ["read"], tenants: ["banco-alfa"], environments: ["dev"] });
    const runner = await token({ roles: ["seed-runner"], tenants: ["banco-alfa"], environments: ["dev"] });
    const get = routes().find((r) => r.name === "get")!;
    const validate = routes().find((r) => r.name === "validate")!;
    expect((await call(get, `Bearer ${reader}`, "ok-get")).status).toBe(200);
    expect((await call(validate, `Bearer ${runner}`, "ok-validate")).status).toBe(200);
  });

  test("auth - health, readiness and metrics need no token", async () => {
    const send = requester(world.gateway.app);
    const health = await send("GET", "/healthz");
    expect(health.status).toBe(200);
    const ready = await send("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks).toEqual({ postgres: "ok", nats: "ok" });
    const metrics = await send("GET", "/metrics");
    const text = await metrics.text();
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    expect(text).toContain(
      'semente_http_requests_total{route="/api/v1/seed-profiles/validate",method="POST",status="401"}',
    );
    expect(text).toContain("semente_http_request_duration_seconds_bucket");
    expect(text).toContain('semente_admission_decisions_total{environment="dev",decision="admitted"} 1');
    expect(text).toContain('semente_admission_duration_seconds_count{environment="dev",decision="admitted"} 1');
    expect(text).toContain("process_cpu_seconds_total");
    expect(health.headers.get("ratelimit-policy")).toContain('"ops"');
  });
});
