import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  claimDlqReplay,
  DlqHeader,
  ensurePipelineStreams,
  getDlqRecord,
  type PipelineNames,
} from "@semente/platform/pipeline";
import { connectNats } from "@semente/platform/bus";
import type { Gateway } from "../../src/app.ts";
import { createWorld, NIGHT, profile, requester, storeDeadBatchOf, type TestWorld, token } from "../utils.ts";

let world: TestWorld;
let gateway: Gateway;
let names: PipelineNames;
let admin: string;
let send: ReturnType<typeof requester>;
let deadSeq = 100;

beforeAll(async () => {
  world = await createWorld("gw_dlq_replay", { now: NIGHT, globalSlots: 10 });
  names = await ensurePipelineStreams(world.nats.jsm, {
    namePrefix: world.nats.prefix,
    subjectPrefix: world.nats.subjectPrefix,
  });
  gateway = await world.newGateway(undefined, NIGHT, { pipeline: names });
  admin = await token();
  send = requester(gateway.app);
});
afterAll(async () => {
  gateway.close();
  await world.close();
});

interface RunBody {
  id: string;
  state: string;
  tenant: string;
}

async function createRun(tenant: string): Promise<{ run: RunBody; etag: string }> {
  const res = await send("POST", "/api/v1/seed-runs", {
    token: admin,
    contentType: "application/json",
    body: JSON.stringify({
      manifest_yaml: profile("dev", "banco-alfa").replace("tenant: banco-alfa", `tenant: ${tenant}`),
      dry_run: true,
    }),
    headers: { "Idempotency-Key": `create-${tenant}` },
  });
  expect(res.status).toBe(202);
  return { run: (await res.json()) as RunBody, etag: res.headers.get("etag") as string };
}

function deadBatchOf(run: RunBody): Promise<string> {
  deadSeq += 1;
  return storeDeadBatchOf(world.nats, names, run, deadSeq);
}

function replay(runId: string, entry: string, key: string, bearer = admin): Promise<Response> {
  return send("POST", `/api/v1/seed-runs/${runId}/dlq/${entry}/replay`, {
    token: bearer,
    headers: { "Idempotency-Key": key },
  });
}

describe("DLQ replay over HTTP", () => {
  test("dlq replay - read and seed-runner tokens are refused (403); the Idempotency-Key is required (400)", async () => {
    const { run } = await createRun("dlq-roles");
    const entry = await deadBatchOf(run);
    for (const role of ["read", "seed-runner"] as const) {
      const res = await replay(run.id, entry, `roles-${role}`, await token({ roles: [role] }));
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
    const noKey = await send("POST", `/api/v1/seed-runs/${run.id}/dlq/${entry}/replay`, { token: admin });
    expect(noKey.status).toBe(400);
    // Nothing was claimed by the refused requests.
    const claims = await world.db.adminSql`SELECT 1 FROM seed.dlq_replays WHERE dlq_id = ${entry}`;
    expect(claims).toHaveLength(0);
  });

  test("dlq replay - another tenant's run, an unknown run, and another run's or an unknown entry all answer 404", async () => {
    const { run } = await createRun("dlq-hidden");
    const { run: other } = await createRun("dlq-other");
    const entry = await deadBatchOf(run);
    const outsider = await token({ tenants: ["someone-else"] });
    const hidden = await replay(run.id, entry, "hidden-1", outsider);
    const unknown = await replay(crypto.randomUUID(), entry, "hidden-2");
    const wrongRun = await replay(other.id, entry, "hidden-3");
    const noEntry = await replay(run.id, `${names.streams.baseline}:999999`, "hidden-4");
    const malformed = await replay(run.id, "not-an-entry", "hidden-5");
    for (const res of [hidden, unknown, wrongRun, noEntry, malformed]) expect(res.status).toBe(404);
    const [a, b] = [(await hidden.json()) as { detail: string }, (await unknown.json()) as { detail: string }];
    expect(a.detail).toBe(b.detail);
  });

  test("dlq replay - a running run's batch is re-published once (202); the same key replays the answer, another key gets 200 'already'", async () => {
    const { run } = await createRun("dlq-running");
    const entry = await deadBatchOf(run);
    const res = await replay(run.id, entry, "running-1");
    expect(res.status).toBe(202);
    const body = (await res.json()) as { outcome: string; republished: string; replay_run: string | null };
    expect(body.outcome).toBe("republished");
    expect(body.replay_run).toBeNull();
    const [stream, seq] = body.republished.split(":");
    expect(stream).toBe(names.streams.baseline);
    const stored = await world.nats.jsm.streams.getMessage(names.streams.baseline, { seq: Number(seq) });
    expect(stored?.header.get(DlqHeader.REPLAY_OF)).toBe(entry);

    const same = await replay(run.id, entry, "running-1");
    expect(same.status).toBe(202);
    expect(same.headers.get("idempotent-replayed")).toBe("true");
    const again = await replay(run.id, entry, "running-2");
    expect(again.status).toBe(200);
    expect(((await again.json()) as { outcome: string; republished: string }).republished).toBe(body.republished);
    const info = await world.nats.jsm.streams.info(names.streams.baseline);
    expect(info.state.messages).toBe(1);
  });

  test("dlq replay - a replay under way elsewhere answers 409 and replays nothing", async () => {
    const { run } = await createRun("dlq-busy");
    const entry = await deadBatchOf(run);
    const record = await getDlqRecord(world.nats.jsm, names, entry);
    expect((await claimDlqReplay(world.db.appSql, { ...record, runId: run.id }, "cli:someone")).kind).toBe("claimed");
    const res = await replay(run.id, entry, "busy-1");
    expect(res.status).toBe(409);
    expect(((await res.json()) as { type: string }).type).toContain("idempotency-in-flight");
  });

  test("dlq replay - a terminal run is resumed: its manifest is re-submitted as a new run (202)", async () => {
    const { run, etag } = await createRun("dlq-ended");
    const cancel = await send("POST", `/api/v1/seed-runs/${run.id}/cancel`, {
      token: admin,
      headers: { "Idempotency-Key": "ended-cancel", "If-Match": etag },
    });
    expect(cancel.status).toBe(202);
    const entry = await deadBatchOf(run);
    const res = await replay(run.id, entry, "ended-1");
    expect(res.status).toBe(202);
    const body = (await res.json()) as { outcome: string; replay_run: string };
    expect(body.outcome).toBe("resumed");
    const [source] = await world.db.adminSql`SELECT manifest_hash FROM seed.runs WHERE id = ${run.id}`;
    const [resumed] = await world.db.adminSql`
      SELECT tenant_id, manifest_hash, dry_run, state FROM seed.runs WHERE id = ${body.replay_run}`;
    expect(resumed?.tenant_id).toBe("dlq-ended");
    expect(resumed?.manifest_hash).toBe(source?.manifest_hash);
    expect(resumed?.dry_run).toBe(true);
    const [claim] = await world.db.adminSql`SELECT state, replay_run FROM seed.dlq_replays WHERE dlq_id = ${entry}`;
    expect(claim).toEqual({ state: "done", replay_run: body.replay_run });
  });

  test("dlq list - a read token lists the run's dead batches with their entry ids and whether they were replayed", async () => {
    const { run } = await createRun("dlq-list");
    const first = await deadBatchOf(run);
    const second = await deadBatchOf(run);
    expect((await replay(run.id, first, "list-1")).status).toBe(202);
    const reader = await token({ roles: ["read"], tenants: ["dlq-list"] });
    const res = await send("GET", `/api/v1/seed-runs/${run.id}/dlq`, { token: reader });
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { entry: string; entity: string; replayed: boolean }[] };
    expect(items.map((i) => [i.entry, i.entity, i.replayed])).toEqual([
      [first, "customers", true],
      [second, "customers", false],
    ]);
    const outsider = await token({ roles: ["read"], tenants: ["someone-else"] });
    expect((await send("GET", `/api/v1/seed-runs/${run.id}/dlq`, { token: outsider })).status).toBe(404);
  });

  test("dlq replay - with the broker down the replay and the list answer 503 and nothing is claimed", async () => {
    const { run } = await createRun("dlq-down");
    const entry = await deadBatchOf(run);
    const closed = await connectNats({ servers: world.nats.url, name: "gw-dlq-closed" });
    await closed.close();
    const down = requester((await world.newGateway({}, NIGHT, { nc: closed, pipeline: names })).app);
    const res = await down("POST", `/api/v1/seed-runs/${run.id}/dlq/${entry}/replay`, {
      token: admin,
      headers: { "Idempotency-Key": "down-1" },
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe("UNAVAILABLE");
    expect((await down("GET", `/api/v1/seed-runs/${run.id}/dlq`, { token: admin })).status).toBe(503);
    expect(await world.db.adminSql`SELECT 1 FROM seed.dlq_replays WHERE dlq_id = ${entry}`).toHaveLength(0);
    expect((await replay(run.id, entry, "down-1")).status).toBe(202);
  });
});
