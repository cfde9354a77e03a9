import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectNats } from "@semente/platform/bus";
import { testAdmission } from "../../../../packages/platform/tests/admission/admission-helpers.ts";
import { createTestNats } from "../../../../packages/platform/tests/nats-harness.ts";
import { createWorld, NIGHT, profile, requester, type TestWorld, token } from "../utils.ts";

let world: TestWorld;
let admin: string;
let send: ReturnType<typeof requester>;

beforeAll(async () => {
  world = await createWorld("gw_runs", { now: NIGHT, globalSlots: 10 });
  admin = await token();
  send = requester(world.gateway.app);
});
afterAll(() => world.close());

/** The dev manifest of banco-alfa retargeted at another tenant (each run needs its own tenant lease). */
function manifestFor(tenant: string): string {
  return profile("dev", "banco-alfa").replace("tenant: banco-alfa", `tenant: ${tenant}`);
}

async function createRun(tenant: string, key: string, dryRun = true, via = send): Promise<Response> {
  return via("POST", "/api/v1/seed-runs", {
    token: admin,
    contentType: "application/json",
    body: JSON.stringify({ manifest_yaml: manifestFor(tenant), dry_run: dryRun }),
    headers: { "Idempotency-Key": key },
  });
}

describe("seed runs", () => {
  test("runs - create answers 202 with Location and ETag, admitted", async () => {
    const res = await createRun("runs-a", "create-1");
    const run = (await res.json()) as { id: string; state: string; dry_run: boolean; tenant: string };
    expect(res.status).toBe(202);
    expect(res.headers.get("location")).toBe(`/api/v1/seed-runs/${run.id}`);
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f-]{36}-\d+"$/);
    expect(run.state).toBe("admitted");
    expect(run.dry_run).toBe(true);
    expect(run.tenant).toBe("runs-a");
    const audit = await world.db.adminSql`select action from seed.audit_log where run_id = ${run.id} order by id`;
    expect(audit.map((r) => r.action)).toContain("run.create");
  });

  test("runs - raw YAML body is accepted too", async () => {
    const res = await send("POST", "/api/v1/seed-runs", {
      token: admin,
      body: manifestFor("runs-yaml"),
      headers: { "Idempotency-Key": "yaml-1" },
    });
    expect(res.status).toBe(202);
  });

  test("runs - GET returns the ETag and If-None-Match gives 304", async () => {
    const created = await createRun("runs-b", "create-2");
    const location = created.headers.get("location") as string;
    const res = await send("GET", location, { token: admin });
    const etag = res.headers.get("etag") as string;
    expect(res.status).toBe(200);
    expect(etag).toBe(created.headers.get("etag") as string);
    const again = await send("GET", location, { token: admin, headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.headers.get("ratelimit")).not.toBeNull();
    expect(await again.text()).toBe("");
  });

  test("runs - cancel needs If-Match: 428, then 412 when stale, then 202 cancelled", async () => {
    const created = await createRun("runs-c", "create-3");
    const location = created.headers.get("location") as string;
    const etag = created.headers.get("etag") as string;
    const missing = await send("POST", `${location}/cancel`, { token: admin, headers: { "Idempotency-Key": "c-1" } });
    expect(missing.status).toBe(428);
    const stale = await send("POST", `${location}/cancel`, {
      token: admin,
      headers: { "Idempotency-Key": "c-2", "If-Match": etag.replace(/-(\d+)"$/, '-999"') },
    });
    expect(stale.status).toBe(412);
    const ok = await send("POST", `${location}/cancel`, {
      token: admin,
      headers: { "Idempotency-Key": "c-3", "If-Match": etag },
    });
    const body = (await ok.json()) as { state: string };
    expect(ok.status).toBe(202);
    expect(body.state).toBe("cancelled");
    expect(ok.headers.get("etag")).not.toBe(etag);
    const audit = await world.db
      .adminSql`select reason from seed.audit_log where reason in ('PRECONDITION_REQUIRED', 'PRECONDITION_FAILED')`;
    expect(audit.length).toBe(2);
  });

  test("runs - outside the window is 409 OUTSIDE_WINDOW and creates nothing", async () => {
    const noon = await world.newGateway({ environment: "staging" }, () => new Date("2025-06-01T12:00:00Z"));
    const res = await requester(noon.app)("POST", "/api/v1/seed-runs", {
      token: admin,
      body: profile("staging", "banco-alfa"),
      headers: { "Idempotency-Key": "window-1" },
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe("OUTSIDE_WINDOW");
    const runs = await world.db
      .adminSql`select id from seed.runs where tenant_id = 'banco-alfa' and environment = 'staging'`;
    expect(runs.length).toBe(0);
  });

  test("runs - list paginates with a cursor and filters", async () => {
    for (let i = 0; i < 5; i++) expect((await createRun(`page-${i}`, `page-${i}`)).status).toBe(202);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/api/v1/seed-runs?environment=dev&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const res = await send("GET", query, { token: admin });
      const page = (await res.json()) as { items: { id: string }[]; next_cursor: string | null };
      expect(res.status).toBe(200);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 50);
    const total = await world.db.adminSql`select count(*)::int as n from seed.runs where environment = 'dev'`;
    expect(seen.length).toBe(total[0]?.n);
    expect(new Set(seen).size).toBe(seen.length);
    const filtered = await send("GET", "/api/v1/seed-runs?tenant=page-3&state=admitted", { token: admin });
    const items = ((await filtered.json()) as { items: { tenant: string }[] }).items;
    expect(items.map((r) => r.tenant)).toEqual(["page-3"]);
    const bad = await send("GET", "/api/v1/seed-runs?limit=1000", { token: admin });
    expect(bad.status).toBe(400);
  });

  test("runs - evidence is 404 until the evidence service indexed it, unknown runs 404", async () => {
    const created = await createRun("runs-e", "create-e");
    const location = created.headers.get("location") as string;
    const res = await send("GET", `${location}/evidence`, { token: admin });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const unknown = await send("GET", "/api/v1/seed-runs/00000000-0000-4000-8000-000000000000", { token: admin });
    expect(unknown.status).toBe(404);
    const nonsense = await send("GET", "/api/v1/seed-runs/not-a-uuid", { token: admin });
    expect(nonsense.status).toBe(404);
  });

  test("runs - unknown routes are 404 problems with the RateLimit fields", async () => {
    const res = await send("GET", "/api/v1/nothing-here", { token: admin });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("ratelimit-policy")).not.toBeNull();
    expect(res.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  test("runs - create while the broker is down: 503 problem, no run row, the key stays free for one run", async () => {
    const closed = await connectNats({ servers: world.nats.url, name: "gw-runs-closed" });
    await closed.close();
    const down = requester((await world.newGateway({}, NIGHT, { nc: closed })).app);
    const res = await createRun("runs-broker", "broker-1", true, down);
    const problem = (await res.json()) as { code: string; status: number };
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.headers.get("retry-after")).toBe("5");
    expect(problem).toMatchObject({ code: "UNAVAILABLE", status: 503 });
    const none = await world.db.adminSql`select count(*)::int as n from seed.runs where tenant_id = 'runs-broker'`;
    expect(none[0]?.n).toBe(0);
    const retry = await createRun("runs-broker", "broker-1");
    expect(retry.status).toBe(202);
    const again = await createRun("runs-broker", "broker-1");
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const one = await world.db.adminSql`select count(*)::int as n from seed.runs where tenant_id = 'runs-broker'`;
    expect(one[0]?.n).toBe(1);
  });

  test("runs - admission failing after the run row was written withdraws the run (audited) and answers 503", async () => {
    const lost = await createTestNats("gw_runs_lost");
    const admission = await testAdmission(world.db, lost, { holderId: "gw-lost", scope: "lost" });
    // The broker connection of this admission dies after the probe of the gateway's own connection passed.
    await lost.cleanup();
    const gateway = await world.newGateway({}, NIGHT, { admission });
    const res = await createRun("runs-lost", "lost-1", true, requester(gateway.app));
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe("UNAVAILABLE");
    const runs = await world.db.adminSql`select count(*)::int as n from seed.runs where tenant_id = 'runs-lost'`;
    expect(runs[0]?.n).toBe(0);
    const audit = await world.db.adminSql`
      select action, outcome, reason from seed.audit_log where tenant_id = 'runs-lost' order by id`;
    expect(audit.map((a) => `${a.action}:${a.outcome}:${a.reason ?? ""}`)).toEqual([
      "run.create:success:",
      "run.withdraw:failure:UNAVAILABLE",
    ]);
    await admission.stop();
  });
});
