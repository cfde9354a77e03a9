import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pathMethods } from "../../src/app.ts";
import { createWorld, NIGHT, profile, requester, type TestWorld, token } from "../utils.ts";

let world: TestWorld;
let admin: string;
const HOSTILE = "zq'; DROP TABLE seed.runs; --";

beforeAll(async () => {
  world = await createWorld("gw_hardening", { now: NIGHT, config: { maxBodyBytes: 64 * 1024 } });
  admin = await token();
});
afterAll(() => {
  world.gateway.close();
  return world.close();
});

/** A request body that records whether anyone read from it. */
function watchedBody(text: string): { body: ReadableStream<Uint8Array>; pulled: () => boolean } {
  let pulled = false;
  const bytes = new TextEncoder().encode(text);
  // highWaterMark 0: nothing is pulled until someone reads.
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulled = true;
        controller.enqueue(bytes);
        controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { body, pulled: () => pulled };
}

function post(
  path: string,
  body: string | ReadableStream<Uint8Array>,
  headers: Record<string, string>,
): Promise<Response> {
  return world.gateway.app.handle(
    new Request(`http://gateway.test${path}`, { method: "POST", body, headers, duplex: "half" } as RequestInit),
  );
}

async function runCount(): Promise<number> {
  const [row] = await world.db.adminSql<{ n: number }[]>`select count(*)::int as n from seed.runs`;
  return row?.n ?? 0;
}

describe("hardening - cost bounded before authorization", () => {
  for (const path of ["/api/v1/seed-profiles/validate", "/api/v1/seed-runs"]) {
    test(`hardening - ${path}: a read token of an unrelated tenant is refused before the body is read`, async () => {
      const reader = await token({ sub: "unrelated", roles: ["read"], tenants: ["banco-zeta"], environments: ["dev"] });
      const watched = watchedBody(profile("dev", "banco-alfa"));
      const res = await post(path, watched.body, {
        Authorization: `Bearer ${reader}`,
        "Content-Type": "application/yaml",
        "Idempotency-Key": `order-${path}`,
      });
      expect(res.status).toBe(403);
      expect(watched.pulled()).toBe(false);
      expect(res.headers.get("ratelimit-policy")).toContain('"principal"');
      // The control: an authorized token's body is read (and refused only for its tenant).
      const control = watchedBody(profile("dev", "banco-alfa"));
      const runner = await token({ roles: ["seed-runner"], tenants: ["banco-zeta"], environments: ["dev"] });
      const refused = await post(path, control.body, {
        Authorization: `Bearer ${runner}`,
        "Content-Type": "application/yaml",
        "Idempotency-Key": `order-control-${path}`,
      });
      expect(refused.status).toBe(403);
      expect(control.pulled()).toBe(true);
    });
  }

  test("hardening - a token naming no tenant is refused (by the verifier) before the body is read", async () => {
    const empty = await token({ roles: ["seed-runner"], tenants: [], environments: ["dev"] });
    const watched = watchedBody(profile("dev", "banco-alfa"));
    const res = await post("/api/v1/seed-profiles/validate", watched.body, {
      Authorization: `Bearer ${empty}`,
      "Idempotency-Key": "no-tenant",
    });
    expect(res.status).toBe(401);
    expect(watched.pulled()).toBe(false);
  });

  test("hardening - an unsupported media type is 415 before the body is read", async () => {
    const watched = watchedBody("<html></html>");
    const res = await post("/api/v1/seed-runs", watched.body, {
      Authorization: `Bearer ${admin}`,
      "Content-Type": "text/html",
      "Idempotency-Key": "media",
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { type: string }).type).toBe("https://semente.dev/problems/unsupported-media-type");
    expect(watched.pulled()).toBe(false);
  });

  test("hardening - a declared or streamed body over the limit is 413 payload-too-large", async () => {
    const headers = { Authorization: `Bearer ${admin}`, "Idempotency-Key": "big" };
    const declared = await post("/api/v1/seed-profiles/validate", "x", { ...headers, "Content-Length": "70000" });
    expect(declared.status).toBe(413);
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 16_384;
        controller.enqueue(new Uint8Array(16_384).fill(35));
      },
    });
    const streamed = await post("/api/v1/seed-profiles/validate", endless, headers);
    const problem = (await streamed.json()) as { type: string; status: number };
    expect(streamed.status).toBe(413);
    expect(problem.type).toBe("https://semente.dev/problems/payload-too-large");
    // Cut as soon as it passed 64 KiB, not read to its (absent) end.
    expect(sent).toBeLessThan(64 * 1024 + 4 * 16_384);
    expect(streamed.headers.get("ratelimit-policy")).not.toBeNull();
  });

  test("hardening - 400, 413 and 415 are three problem types", async () => {
    const headers = { Authorization: `Bearer ${admin}` };
    const types = await Promise.all(
      [
        post("/api/v1/seed-profiles/validate", "a: [", { ...headers, "Idempotency-Key": "t-400" }),
        post("/api/v1/seed-profiles/validate", "x".repeat(70_000), { ...headers, "Idempotency-Key": "t-413" }),
        post("/api/v1/seed-profiles/validate", "x", {
          ...headers,
          "Idempotency-Key": "t-415",
          "Content-Type": "image/png",
        }),
      ].map(async (r) => {
        const res = await r;
        return [res.status, ((await res.json()) as { type: string }).type];
      }),
    );
    expect(types.map(([status]) => status)).toEqual([400, 413, 415]);
    expect(new Set(types.map(([, type]) => type)).size).toBe(3);
  });

  test("hardening - thousands of issues: a bounded body with the first 50 and a count of the rest", async () => {
    const extra = Array.from({ length: 3000 }, (_, i) => `k${i}: ${i}`).join("\n");
    const res = await requester(world.gateway.app)("POST", "/api/v1/seed-profiles/validate", {
      token: admin,
      body: `${profile("dev", "banco-alfa")}\n${extra}\n`,
      headers: { "Idempotency-Key": "many-issues" },
    });
    const text = await res.text();
    const problem = JSON.parse(text) as { errors: unknown[]; issues_omitted: number };
    expect(res.status).toBe(422);
    expect(problem.errors).toHaveLength(50);
    expect(problem.issues_omitted).toBe(2950);
    expect(text.length).toBeLessThan(16_384);
  });
});

describe("hardening - errors say the right thing and leak nothing", () => {
  test("hardening - a wrong method is 405 with Allow, on API and ops paths", async () => {
    const send = requester(world.gateway.app);
    const cases = [
      ["PUT", "/api/v1/seed-runs", "GET, POST"],
      ["DELETE", "/api/v1/seed-runs/00000000-0000-4000-8000-000000000000", "GET"],
      ["GET", "/api/v1/seed-runs/00000000-0000-4000-8000-000000000000/cancel", "POST"],
      ["PATCH", "/api/v1/seed-profiles/validate", "POST"],
      ["POST", "/healthz", "GET"],
    ] as const;
    for (const [method, path, allow] of cases) {
      const res = await send(method, path, { token: admin });
      expect(`${method} ${path} ${res.status} ${res.headers.get("allow")}`).toBe(`${method} ${path} 405 ${allow}`);
      expect(((await res.json()) as { type: string }).type).toBe("https://semente.dev/problems/method-not-allowed");
      expect(res.headers.get("ratelimit-policy")).not.toBeNull();
    }
    expect((await send("GET", "/api/v1/nothing", { token: admin })).status).toBe(404);
  });

  test("hardening - every served path answers 405 with Allow naming exactly its methods", async () => {
    const send = requester(world.gateway.app);
    const served = pathMethods(world.gateway.app.routes);
    expect(served.length).toBeGreaterThan(10);
    for (const { template, methods } of served) {
      const path = template.replace(/:[a-z]+/g, "00000000-0000-4000-8000-000000000000");
      const res = await send("PATCH", path, { token: admin });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe(methods.join(", "));
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  test("hardening - hostile values are never echoed, wherever they sit", async () => {
    const send = requester(world.gateway.app);
    const base = profile("dev", "banco-alfa");
    const bodies: [string, string][] = [
      [base.replace("tenant: banco-alfa", `tenant: "${HOSTILE}"`), "application/yaml"],
      [base.replace("mode: baseline", `mode: "${HOSTILE}"`), "application/yaml"],
      [`${base}\n"${HOSTILE}": 1\n`, "application/yaml"],
      [`${HOSTILE}: [`, "application/yaml"],
      [JSON.stringify({ manifest_yaml: base, [HOSTILE]: true }), "application/json"],
      [`{"manifest": ${HOSTILE}}`, "application/json"],
    ];
    for (const [i, [body, contentType]] of bodies.entries()) {
      for (const path of ["/api/v1/seed-profiles/validate", "/api/v1/seed-runs"]) {
        const res = await send("POST", path, {
          token: admin,
          body,
          contentType,
          headers: { "Idempotency-Key": `echo-${i}-${path}` },
        });
        const text = await res.text();
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(text).not.toContain("DROP TABLE");
      }
    }
    const query = await send(
      "GET",
      `/api/v1/seed-runs?tenant=banco-alfa&environment=dev&state=${encodeURIComponent(HOSTILE)}`,
      {
        token: admin,
      },
    );
    expect(query.status).toBe(400);
    expect(await query.text()).not.toContain("DROP TABLE");
  });

  test("hardening - key_version beyond a PostgreSQL integer is 422 at validation and writes nothing", async () => {
    const before = await runCount();
    const res = await requester(world.gateway.app)("POST", "/api/v1/seed-runs", {
      token: admin,
      body: profile("dev", "banco-alfa").replace("key_version: 1", "key_version: 2147483648"),
      headers: { "Idempotency-Key": "key-version" },
    });
    const problem = (await res.json()) as { errors: { pointer: string }[] };
    expect(res.status).toBe(422);
    expect(problem.errors.map((e) => e.pointer)).toEqual(["/key_version"]);
    expect(await runCount()).toBe(before);
  });
});
