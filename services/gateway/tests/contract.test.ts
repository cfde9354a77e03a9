import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePipelineStreams, type PipelineNames } from "@semente/platform/pipeline";
import { apiRoutes, contractChecker, documented, missingStatuses, violations } from "./contract-check.ts";
import { exerciseApi } from "./contract-requests.ts";
import { createWorld, NIGHT, requester, type TestWorld, testConfig } from "./utils.ts";

let world: TestWorld;
let pipeline: PipelineNames;
let send: ReturnType<typeof requester>;
const { check, seen, problems } = contractChecker(() => send);

const wormDir = mkdtempSync(join(tmpdir(), "semente-gw-contract-"));

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
    await exerciseApi({ world, pipeline, send, check, wormDir });
    expect(problems).toEqual([]);
  }, 60_000);

  test("contract - every documented status of each operation is produced (5xx excepted)", () => {
    expect(missingStatuses(seen)).toEqual([]);
  });
});
