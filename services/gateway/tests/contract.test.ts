import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createEvidenceService, createFsWormStore } from "@semente/platform/evidence";
import { transitionRun } from "@semente/platform/runs";

import { devKeys, insertEndedRun, quietLog } from "../../../packages/platform/tests/evidence/utils.ts";
import { insertRun } from "../../../packages/platform/tests/runs/run-fixture.ts";
import { evidenceFixture } from "../../../packages/platform/tests/runs/stream-fixture.ts";
import { ensurePipelineStreams, type PipelineNames } from "@semente/platform/pipeline";
import {
  createWorld,
  NIGHT,
  profile,
  requester,
  storeDeadBatchOf,
  type TestWorld,
  testConfig,
  token,
} from "./utils.ts";

type Node = Record<string, unknown>;
const contract = Bun.YAML.parse(
  await Bun.file(resolve(import.meta.dir, "../../../contracts/seed-data.openapi.yaml")).text(),
) as Node;
const METHODS = ["get", "post", "put", "patch", "delete"];
/** Pages for people, not API: the console and the API reference (docs/console.md). */
const PAGES = /^\/(console|docs)(\/|$)/;
/**
 * Documented statuses no request can produce: the API ruleset requires 403 on every /api operation,
 * but every role may read and the events route answers a run out of scope with 404.
 */
const UNREACHABLE = new Set([
  "GET /api/v1/seed-runs/{id}/events 403",
  // A run outside the token's scope answers 404 like an unknown id (no existence oracle), and every
  // role may read: the read routes' 403 cannot happen either.
  "GET /api/v1/seed-runs/{id} 403",
  "GET /api/v1/seed-runs/{id}/evidence 403",
  // A DLQ replay's resume run is checked against the budget again: 422 only when the cost model
  // changed since the run was admitted with the same manifest.
  "POST /api/v1/seed-runs/{id}/dlq/{entry}/replay 422",
  "GET /api/v1/seed-runs/{id}/dlq 403",
]);
/**
 * 405 is documented on each operation of a path but answered to the path's OTHER methods (with
 * `Allow`), so no request with the operation's own method produces it; the hardening tests send
 * every wrong method to every path.
 */
const OTHER_METHOD_ONLY = "405";
/** Set by the HTTP layer on every response; not part of an operation's contract. */
const TRANSPORT = new Set(["content-type", "content-length", "date", "connection", "keep-alive", "transfer-encoding"]);

function deref(value: unknown): Node {
  let node = value as Node;
  while (typeof node?.$ref === "string") {
    let target: unknown = contract;
    for (const part of (node.$ref as string).slice(2).split("/")) target = (target as Node)[part.replaceAll("~1", "/")];
    node = target as Node;
  }
  return node;
}

const paths = contract.paths as Record<string, Node>;
const documented = Object.entries(paths).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m] !== undefined).map((m) => `${m.toUpperCase()} ${path}`),
);

/** Every violation of the contract by one response (empty when it conforms). */
function violations(method: string, template: string, res: Response, body: string): string[] {
  const where = `${method} ${template} → ${res.status}`;
  const op = paths[template]?.[method.toLowerCase()] as Node | undefined;
  if (op === undefined) return [`${where}: operation not in the contract`];
  const responses = op.responses as Node;
  const entry = responses[String(res.status)] ?? responses.default;
  if (entry === undefined) return [`${where}: status not documented`];
  const spec = deref(entry);
  const headers = Object.fromEntries(
    Object.entries((spec.headers ?? {}) as Node).map(([k, v]) => [k.toLowerCase(), deref(v)]),
  );
  const out: string[] = [];
  for (const name of res.headers.keys()) {
    if (!TRANSPORT.has(name) && headers[name] === undefined) out.push(`${where}: header '${name}' not documented`);
  }
  for (const [name, h] of Object.entries(headers)) {
    if (h.required === true && !res.headers.has(name)) out.push(`${where}: required header '${name}' missing`);
  }
  const content = (spec.content ?? {}) as Node;
  const type = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  if (body !== "" && content[type] === undefined) out.push(`${where}: media type '${type}' not documented`);
  if (body === "" && Object.keys(content).length > 0 && res.status !== 304)
    out.push(`${where}: documented body missing`);
  return out;
}

/** `METHOD /path/{param}` of every API route the app registers (pages excluded). */
function apiRoutes(app: unknown): string[] {
  return (app as { routes: { method: string; path: string }[] }).routes
    .filter((r) => !PAGES.test(r.path))
    .map((r) => `${r.method} ${r.path.replace(/:([a-z_]+)/g, "{$1}")}`);
}

let world: TestWorld;
let pipeline: PipelineNames;
let send: ReturnType<typeof requester>;
const seen = new Set<string>();
const problems: string[] = [];

/** Sends a request, reads the body (event streams: the first chunk), checks it against the contract. */
async function check(
  method: string,
  template: string,
  path: string,
  options: Parameters<ReturnType<typeof requester>>[2] = {},
): Promise<{ res: Response; body: string }> {
  const res = await send(method, path, options);
  let body = "";
  if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    body = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
  } else {
    body = await res.text();
  }
  seen.add(`${method} ${template} ${res.status}`);
  if (options.body !== undefined && res.status < 400) {
    // An accepted request body must be of a documented media type too.
    const type = options.contentType ?? "application/yaml";
    const op = paths[template]?.[method.toLowerCase()] as Node | undefined;
    const accepted = ((op?.requestBody as Node | undefined)?.content ?? {}) as Node;
    if (accepted[type] === undefined)
      problems.push(`${method} ${template}: request body '${type}' accepted but not documented`);
  }
  problems.push(...violations(method, template, res, body));
  return { res, body };
}

const wormDir = mkdtempSync(join(tmpdir(), "semente-gw-contract-"));

/** A completed run of the dev baseline whose report was produced, signed, stored and indexed. */
async function reportedRun(): Promise<string> {
  const { runId } = await insertEndedRun(world.db.adminSql);
  const service = createEvidenceService({
    sql: world.db.appSql,
    store: createFsWormStore({ dir: wormDir }),
    keys: devKeys("44"),
    log: quietLog(),
  });
  const result = await service.produce(runId);
  if (result.status !== "stored") throw new Error(`expected a stored report, got ${result.status}`);
  return runId;
}

beforeAll(async () => {
  world = await createWorld("gw_contract", { now: NIGHT, globalSlots: 10 });
  pipeline = await ensurePipelineStreams(world.nats.jsm, {
    namePrefix: world.nats.prefix,
    subjectPrefix: world.nats.subjectPrefix,
  });
  const gateway = await world.newGateway(
    {
      rateLimits: {
        ...testConfig().rateLimits,
        principal: { name: "principal", quota: 40, windowSeconds: 60 },
        // Small enough that the public key route's 429 is reached below.
        ops: { name: "ops", quota: 60, windowSeconds: 60 },
      },
    },
    NIGHT,
    { pipeline },
  );
  send = requester(gateway.app);
});
afterAll(async () => {
  await world.close();
  rmSync(wormDir, { recursive: true, force: true });
});

describe("contract-true gateway", () => {
  test("contract - every registered route is in the contract, and every documented operation is registered", async () => {
    const gateway = await world.newGateway();
    const registered = apiRoutes(gateway.app);
    expect(registered.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented.filter((d) => !registered.includes(d))).toEqual([]);
  });

  test("contract - the check fails for a route or a header added without the contract", async () => {
    const gateway = await world.newGateway();
    (gateway.app as unknown as { get(path: string, h: () => string): unknown }).get(
      "/api/v1/seed-runs/:id/pause",
      () => "",
    );
    expect(apiRoutes(gateway.app).filter((r) => !documented.includes(r))).toEqual(["GET /api/v1/seed-runs/{id}/pause"]);
    const res = await send("GET", "/healthz");
    const headers = new Headers(res.headers);
    headers.set("X-Served-By", "replica-1");
    headers.delete("traceparent");
    expect(violations("GET", "/healthz", new Response("{}", { status: 200, headers }), "{}")).toEqual([
      "GET /healthz → 200: header 'x-served-by' not documented",
      "GET /healthz → 200: required header 'traceparent' missing",
    ]);
    expect(violations("GET", "/healthz", new Response("x", { status: 418, headers: res.headers }), "x")).toEqual([
      "GET /healthz → 418: status not documented",
    ]);
    const html = new Headers(res.headers);
    html.set("content-type", "text/html");
    expect(violations("GET", "/healthz", new Response("<p>", { headers: html }), "<p>")).toEqual([
      "GET /healthz → 200: media type 'text/html' not documented",
    ]);
  });

  test("contract - the responses each route produces are documented, headers and media types included", async () => {
    const admin = await token();
    const reader = await token({
      sub: "contract-reader",
      roles: ["read"],
      tenants: ["contract-a"],
      environments: ["dev"],
    });
    const yaml = profile("dev", "banco-alfa").replace("tenant: banco-alfa", "tenant: contract-a");
    const json = (body: unknown) => ({ contentType: "application/json", body: JSON.stringify(body) });
    const VALIDATE = "/api/v1/seed-profiles/validate";
    const RUNS = "/api/v1/seed-runs";

    await check("GET", "/healthz", "/healthz");
    await check("GET", "/readyz", "/readyz");
    await check("GET", "/metrics", "/metrics");

    await check("POST", VALIDATE, VALIDATE, { token: admin, body: yaml, headers: { "Idempotency-Key": "v-1" } });
    await check("POST", VALIDATE, VALIDATE, { token: admin, body: yaml, headers: { "Idempotency-Key": "v-1" } });
    await check("POST", VALIDATE, VALIDATE, { token: admin, body: "a: [", headers: { "Idempotency-Key": "v-2" } });
    await check("POST", VALIDATE, VALIDATE, { token: admin, body: yaml });
    await check("POST", VALIDATE, VALIDATE, { body: yaml, headers: { "Idempotency-Key": "v-3" } });
    const otherYaml = yaml.replace("tenant: contract-a", "tenant: contract-z");
    await check("POST", VALIDATE, VALIDATE, { token: admin, body: otherYaml, headers: { "Idempotency-Key": "v-1" } });
    await check("POST", VALIDATE, VALIDATE, { token: reader, body: yaml, headers: { "Idempotency-Key": "v-4" } });
    await check("POST", VALIDATE, VALIDATE, { token: admin, ...json({}), headers: { "Idempotency-Key": "v-5" } });
    const tooLarge = { token: admin, body: `# ${"x".repeat(1_048_576)}\n`, headers: { "Idempotency-Key": "v-6" } };
    await check("POST", VALIDATE, VALIDATE, tooLarge);
    const html = { token: admin, body: "<p>no</p>", contentType: "text/html", headers: { "Idempotency-Key": "v-7" } };
    await check("POST", VALIDATE, VALIDATE, html);

    const created = await check("POST", RUNS, RUNS, {
      token: admin,
      ...json({ manifest_yaml: yaml, dry_run: true }),
      headers: { "Idempotency-Key": "r-1" },
    });
    await check("POST", RUNS, RUNS, {
      token: admin,
      ...json({ manifest_yaml: yaml, dry_run: true }),
      headers: { "Idempotency-Key": "r-1" },
    });
    await check("POST", RUNS, RUNS, {
      token: reader,
      ...json({ manifest_yaml: yaml }),
      headers: { "Idempotency-Key": "r-2" },
    });
    await check("POST", RUNS, RUNS, {
      token: admin,
      ...json({ manifest_yaml: "x: [" }),
      headers: { "Idempotency-Key": "r-3" },
    });
    await check("POST", RUNS, RUNS, { token: admin, ...json({ nope: 1 }), headers: { "Idempotency-Key": "r-4" } });
    await check("POST", RUNS, RUNS, { ...json({ manifest_yaml: yaml }), headers: { "Idempotency-Key": "r-5" } });
    await check("POST", RUNS, RUNS, {
      token: admin,
      ...json({ manifest_yaml: yaml, dry_run: false }),
      headers: { "Idempotency-Key": "r-1" },
    });
    await check("POST", RUNS, RUNS, {
      token: admin,
      body: yaml.replace("tenant: contract-a", "tenant: contract-y"),
      headers: { "Idempotency-Key": "raw-yaml" },
    });
    // A purge of a tenant the environment never saw (404), then an admitted purge (202) and a purge
    // while it holds the tenant (409).
    await check("POST", RUNS, RUNS, {
      token: admin,
      ...json({ operation: "purge", tenant: "contract-nunca", environment: "dev" }),
      headers: { "Idempotency-Key": "p-1" },
    });
    await check("POST", RUNS, RUNS, {
      token: admin,
      ...json({ operation: "purge", tenant: "contract-a", environment: "dev", mode: "baseline" }),
      headers: { "Idempotency-Key": "p-2" },
    });
    await check("POST", RUNS, RUNS, {
      token: admin,
      ...json({ operation: "purge", tenant: "contract-a", environment: "dev" }),
      headers: { "Idempotency-Key": "p-3" },
    });
    await check("POST", RUNS, RUNS, { ...tooLarge, headers: { "Idempotency-Key": "r-6" } });
    await check("POST", RUNS, RUNS, { ...html, headers: { "Idempotency-Key": "r-7" } });
    const id = (JSON.parse(created.body) as { id?: string }).id ?? (await runOf("contract-a"));

    await check("GET", RUNS, `${RUNS}?tenant=contract-a&environment=dev`, { token: admin });
    await check("GET", RUNS, `${RUNS}?limit=0`, { token: admin });
    await check("GET", RUNS, `${RUNS}?tenant=other&environment=dev`, { token: reader });
    await check("GET", RUNS, RUNS);

    const one = await check("GET", `${RUNS}/{id}`, `${RUNS}/${id}`, { token: admin });
    const etag = one.res.headers.get("etag") as string;
    await check("GET", `${RUNS}/{id}`, `${RUNS}/${id}`, { token: admin, headers: { "If-None-Match": etag } });
    await check("GET", `${RUNS}/{id}`, `${RUNS}/00000000-0000-4000-8000-000000000000`, { token: admin });
    await check("GET", `${RUNS}/{id}`, `${RUNS}/${id}`);
    const otherRun = await insertRun(world.db.appSql, { tenantId: "contract-b", environment: "dev" });
    await check("GET", `${RUNS}/{id}`, `${RUNS}/${otherRun.id}`, { token: reader });

    await check("GET", `${RUNS}/{id}/evidence`, `${RUNS}/${id}/evidence`, { token: admin });
    await evidenceFixture(world.db.adminSql, otherRun.id);
    await check("GET", `${RUNS}/{id}/evidence`, `${RUNS}/${otherRun.id}/evidence`, { token: admin });
    await check("GET", `${RUNS}/{id}/evidence`, `${RUNS}/${otherRun.id}/evidence`, { token: reader });
    await check("GET", `${RUNS}/{id}/evidence`, `${RUNS}/${id}/evidence`);
    // A report produced, signed and stored for real (filesystem WORM), then the keys that verify it.
    const reported = await reportedRun();
    await check("GET", `${RUNS}/{id}/evidence`, `${RUNS}/${reported}/evidence`, { token: admin });
    await check("GET", "/api/v1/evidence/keys", "/api/v1/evidence/keys");
    // The public keys route is limited per client address like every unauthenticated request.
    for (let i = 0; i < 700; i++) {
      const res = await send("GET", "/api/v1/evidence/keys");
      await res.arrayBuffer();
      if (res.status === 429) {
        await check("GET", "/api/v1/evidence/keys", "/api/v1/evidence/keys");
        break;
      }
    }

    await check("GET", `${RUNS}/{id}/events`, `${RUNS}/${id}/events`, { token: admin });
    await check("GET", `${RUNS}/{id}/events`, `${RUNS}/${otherRun.id}/events`, { token: reader });
    await check("GET", `${RUNS}/{id}/events`, `${RUNS}/${id}/events`);

    const CANCEL = `${RUNS}/{id}/cancel`;
    await check("POST", CANCEL, `${RUNS}/${id}/cancel`, { token: admin, headers: { "Idempotency-Key": "c-1" } });
    await check("POST", CANCEL, `${RUNS}/${id}/cancel`, {
      token: admin,
      headers: { "Idempotency-Key": "c-2", "If-Match": '"stale"' },
    });
    await check("POST", CANCEL, `${RUNS}/${id}/cancel`, {
      token: reader,
      headers: { "Idempotency-Key": "c-3", "If-Match": etag },
    });
    await check("POST", CANCEL, `${RUNS}/${id}/cancel`, { token: admin });
    await check("POST", CANCEL, `${RUNS}/00000000-0000-4000-8000-000000000000/cancel`, {
      token: admin,
      headers: { "Idempotency-Key": "c-4", "If-Match": "*" },
    });
    await check("POST", CANCEL, `${RUNS}/${id}/cancel`, {
      token: admin,
      headers: { "Idempotency-Key": "c-5", "If-Match": etag },
    });
    await check("POST", CANCEL, `${RUNS}/${id}/cancel`, {
      token: admin,
      headers: { "Idempotency-Key": "c-6", "If-Match": "*" },
    });
    await check("POST", CANCEL, `${RUNS}/${id}/cancel`, { headers: { "Idempotency-Key": "c-7" } });
    // A dead batch of the (now cancelled) run: the replay resumes it as a new run.
    const REPLAY = `${RUNS}/{id}/dlq/{entry}/replay`;
    const entry = await storeDeadBatchOf(world.nats, pipeline, { id, tenant: "contract-a" }, 7);
    const replayPath = `${RUNS}/${id}/dlq/${entry}/replay`;
    const DLQ = `${RUNS}/{id}/dlq`;
    await check("GET", DLQ, `${RUNS}/${id}/dlq`, { token: reader });
    await check("GET", DLQ, `${RUNS}/${otherRun.id}/dlq`, { token: reader });
    await check("GET", DLQ, `${RUNS}/${id}/dlq`);
    await check("POST", REPLAY, replayPath, { token: admin, headers: { "Idempotency-Key": "d-1" } });
    await check("POST", REPLAY, replayPath, { token: admin, headers: { "Idempotency-Key": "d-1" } });
    await check("POST", REPLAY, replayPath, { token: admin, headers: { "Idempotency-Key": "d-2" } });
    await check("POST", REPLAY, replayPath, { token: admin });
    await check("POST", REPLAY, replayPath, { headers: { "Idempotency-Key": "d-3" } });
    await check("POST", REPLAY, replayPath, { token: reader, headers: { "Idempotency-Key": "d-4" } });
    await check("POST", REPLAY, `${RUNS}/${id}/dlq/${entry}0/replay`, {
      token: admin,
      headers: { "Idempotency-Key": "d-5" },
    });
    await check("POST", REPLAY, `${RUNS}/${id}/dlq/${entry}0/replay`, {
      token: admin,
      headers: { "Idempotency-Key": "d-1" },
    });
    const done = await insertRun(world.db.appSql, { tenantId: "contract-a", environment: "dev" });
    await transitionRun(world.db.appSql, done.id, { to: "cancelled" });

    // The principal budget (40 a minute) runs out: 429s on every operation the token reaches.
    // The budget is a window: one that rolls over mid-sequence (a slow machine) refills it, so each
    // check first spends whatever is left.
    const spend = async () => {
      for (let i = 0; i < 100; i++) if ((await send("GET", `${RUNS}/${id}`, { token: reader })).status === 429) return;
      throw new Error("the principal budget never ran out");
    };
    const check429: typeof check = async (...args) => {
      await spend();
      return check(...args);
    };
    const spent = { token: reader, headers: { "Idempotency-Key": "spent" } };
    await check429("GET", `${RUNS}/{id}`, `${RUNS}/${id}`, { token: reader });
    await check429("GET", `${RUNS}/{id}/events`, `${RUNS}/${id}/events`, { token: reader });
    await check429("GET", `${RUNS}/{id}/evidence`, `${RUNS}/${id}/evidence`, { token: reader });
    await check429("GET", RUNS, `${RUNS}?tenant=contract-a&environment=dev`, { token: reader });
    await check429("POST", VALIDATE, VALIDATE, { ...spent, body: yaml });
    await check429("POST", RUNS, RUNS, { ...spent, ...json({ manifest_yaml: yaml }) });
    await check429("POST", CANCEL, `${RUNS}/${id}/cancel`, {
      ...spent,
      headers: { ...spent.headers, "If-Match": "*" },
    });
    await check429("POST", REPLAY, replayPath, spent);
    await check429("GET", DLQ, `${RUNS}/${id}/dlq`, { token: reader });

    expect(problems).toEqual([]);
  }, 60_000);

  test("contract - every documented status of each operation is produced (5xx excepted)", () => {
    const missing: string[] = [];
    for (const entry of documented) {
      const [method, path] = entry.split(" ") as [string, string];
      for (const status of Object.keys((paths[path]?.[method.toLowerCase()] as Node).responses as Node)) {
        if (status.startsWith("5") || status === OTHER_METHOD_ONLY) continue;
        if (UNREACHABLE.has(`${method} ${path} ${status}`)) continue;
        if (!seen.has(`${method} ${path} ${status}`)) missing.push(`${method} ${path} ${status}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

async function runOf(tenant: string): Promise<string> {
  const [row] = await world.db.adminSql<{ id: string }[]>`
    select id from seed.runs where tenant_id = ${tenant} order by created_at limit 1`;
  return row?.id as string;
}
