/**
 * The requests of the contract test's response check, phase by phase: each phase sends the
 * requests that produce an operation's documented statuses, through a {@link Check}.
 */
import { createEvidenceService, createFsWormStore } from "@semente/platform/evidence";
import type { PipelineNames } from "@semente/platform/pipeline";
import { transitionRun } from "@semente/platform/runs";
import { devKeys, insertEndedRun, quietLog } from "../../../packages/platform/tests/evidence/utils.ts";
import { insertRun } from "../../../packages/platform/tests/runs/run-fixture.ts";
import { evidenceFixture } from "../../../packages/platform/tests/runs/stream-fixture.ts";
import type { Check } from "./contract-check.ts";
import { profile, type requester, storeDeadBatchOf, type TestWorld, token } from "./utils.ts";

type Options = Parameters<Check>[3];

/** What every phase needs: the world, the gateway and the check over it. */
export interface Exercise {
  world: TestWorld;
  pipeline: PipelineNames;
  send: ReturnType<typeof requester>;
  check: Check;
  /** Where reports produced for real are stored (filesystem WORM). */
  wormDir: string;
}

/** Tokens and bodies the phases share. */
interface Fixture {
  admin: string;
  reader: string;
  yaml: string;
  tooLarge: Options & object;
  html: Options & object;
}

const VALIDATE = "/api/v1/seed-profiles/validate";
const RUNS = "/api/v1/seed-runs";
const CANCEL = `${RUNS}/{id}/cancel`;
const REPLAY = `${RUNS}/{id}/dlq/{entry}/replay`;
const DLQ = `${RUNS}/{id}/dlq`;
const json = (body: unknown) => ({ contentType: "application/json", body: JSON.stringify(body) });

/** Sends every phase's requests in order (later phases use the runs the earlier ones created). */
export async function exerciseApi(x: Exercise): Promise<void> {
  const admin = await token();
  const reader = await token({
    sub: "contract-reader",
    roles: ["read"],
    tenants: ["contract-a"],
    environments: ["dev"],
  });
  const yaml = profile("dev", "banco-alfa").replace("tenant: banco-alfa", "tenant: contract-a");
  const tooLarge = { token: admin, body: `# ${"x".repeat(1_048_576)}\n`, headers: { "Idempotency-Key": "v-6" } };
  const html = { token: admin, body: "<p>no</p>", contentType: "text/html", headers: { "Idempotency-Key": "v-7" } };
  const f: Fixture = { admin, reader, yaml, tooLarge, html };

  await x.check("GET", "/healthz", "/healthz");
  await x.check("GET", "/readyz", "/readyz");
  await x.check("GET", "/metrics", "/metrics");
  await validateRequests(x, f);
  const id = await submitRequests(x, f);
  const { otherRun, etag } = await readRequests(x, f, id);
  await cancelRequests(x, f, id, etag);
  const replayPath = await dlqRequests(x, f, id, otherRun);
  await rateLimitedRequests(x, f, id, replayPath);
}

async function validateRequests({ check }: Exercise, { admin, reader, yaml, tooLarge, html }: Fixture): Promise<void> {
  await check("POST", VALIDATE, VALIDATE, { token: admin, body: yaml, headers: { "Idempotency-Key": "v-1" } });
  await check("POST", VALIDATE, VALIDATE, { token: admin, body: yaml, headers: { "Idempotency-Key": "v-1" } });
  await check("POST", VALIDATE, VALIDATE, { token: admin, body: "a: [", headers: { "Idempotency-Key": "v-2" } });
  await check("POST", VALIDATE, VALIDATE, { token: admin, body: yaml });
  await check("POST", VALIDATE, VALIDATE, { body: yaml, headers: { "Idempotency-Key": "v-3" } });
  const otherYaml = yaml.replace("tenant: contract-a", "tenant: contract-z");
  await check("POST", VALIDATE, VALIDATE, { token: admin, body: otherYaml, headers: { "Idempotency-Key": "v-1" } });
  await check("POST", VALIDATE, VALIDATE, { token: reader, body: yaml, headers: { "Idempotency-Key": "v-4" } });
  await check("POST", VALIDATE, VALIDATE, { token: admin, ...json({}), headers: { "Idempotency-Key": "v-5" } });
  await check("POST", VALIDATE, VALIDATE, tooLarge);
  await check("POST", VALIDATE, VALIDATE, html);
}

/** Run submissions and purges; returns the id of the first run admitted. */
async function submitRequests(x: Exercise, { admin, reader, yaml, tooLarge, html }: Fixture): Promise<string> {
  const { check } = x;
  // `null`: no token at all.
  const submit = (body: unknown, key: string, bearer: string | null = admin) =>
    check("POST", RUNS, RUNS, {
      ...(bearer === null ? {} : { token: bearer }),
      ...json(body),
      headers: { "Idempotency-Key": key },
    });
  const created = await submit({ manifest_yaml: yaml, dry_run: true }, "r-1");
  await submit({ manifest_yaml: yaml, dry_run: true }, "r-1");
  await submit({ manifest_yaml: yaml }, "r-2", reader);
  await submit({ manifest_yaml: "x: [" }, "r-3");
  await submit({ nope: 1 }, "r-4");
  await submit({ manifest_yaml: yaml }, "r-5", null);
  await submit({ manifest_yaml: yaml, dry_run: false }, "r-1");
  await check("POST", RUNS, RUNS, {
    token: admin,
    body: yaml.replace("tenant: contract-a", "tenant: contract-y"),
    headers: { "Idempotency-Key": "raw-yaml" },
  });
  // A purge of a tenant the environment never saw (404), then an admitted purge (202) and a purge
  // while it holds the tenant (409).
  await submit({ operation: "purge", tenant: "contract-nunca", environment: "dev" }, "p-1");
  await submit({ operation: "purge", tenant: "contract-a", environment: "dev", mode: "baseline" }, "p-2");
  await submit({ operation: "purge", tenant: "contract-a", environment: "dev" }, "p-3");
  await check("POST", RUNS, RUNS, { ...tooLarge, headers: { "Idempotency-Key": "r-6" } });
  await check("POST", RUNS, RUNS, { ...html, headers: { "Idempotency-Key": "r-7" } });
  return (JSON.parse(created.body) as { id?: string }).id ?? (await runOf(x.world, "contract-a"));
}

/** Lists, one run, its evidence, the public keys and the event stream; returns another tenant's run and an ETag. */
async function readRequests(x: Exercise, { admin, reader }: Fixture, id: string) {
  const { check, send, world } = x;
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
  const reported = await reportedRun(x);
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
  return { otherRun, etag };
}

async function cancelRequests({ check }: Exercise, { admin, reader }: Fixture, id: string, etag: string) {
  const cancel = (headers: Record<string, string>, bearer: string | null = admin, runId = id) =>
    check("POST", CANCEL, `${RUNS}/${runId}/cancel`, { ...(bearer === null ? {} : { token: bearer }), headers });
  await cancel({ "Idempotency-Key": "c-1" });
  await cancel({ "Idempotency-Key": "c-2", "If-Match": '"stale"' });
  await cancel({ "Idempotency-Key": "c-3", "If-Match": etag }, reader);
  await check("POST", CANCEL, `${RUNS}/${id}/cancel`, { token: admin });
  await cancel({ "Idempotency-Key": "c-4", "If-Match": "*" }, admin, "00000000-0000-4000-8000-000000000000");
  await cancel({ "Idempotency-Key": "c-5", "If-Match": etag });
  await cancel({ "Idempotency-Key": "c-6", "If-Match": "*" });
  await cancel({ "Idempotency-Key": "c-7" }, null);
}

/** A dead batch of the (now cancelled) run: the replay resumes it as a new run. Returns the replay path. */
async function dlqRequests(x: Exercise, { admin, reader }: Fixture, id: string, otherRun: { id: string }) {
  const { check, world } = x;
  const entry = await storeDeadBatchOf(world.nats, x.pipeline, { id, tenant: "contract-a" }, 7);
  const replayPath = `${RUNS}/${id}/dlq/${entry}/replay`;
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
  return replayPath;
}

/**
 * The principal budget (40 a minute) runs out: 429s on every operation the token reaches. The
 * budget is a window: one that rolls over mid-sequence (a slow machine) refills it, so each check
 * first spends whatever is left.
 */
async function rateLimitedRequests(x: Exercise, { reader, yaml }: Fixture, id: string, replayPath: string) {
  const { check, send } = x;
  const spend = async () => {
    for (let i = 0; i < 100; i++) if ((await send("GET", `${RUNS}/${id}`, { token: reader })).status === 429) return;
    throw new Error("the principal budget never ran out");
  };
  const check429: Check = async (...args) => {
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
}

/** A completed run of the dev baseline whose report was produced, signed, stored and indexed. */
async function reportedRun({ world, wormDir }: Exercise): Promise<string> {
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

async function runOf(world: TestWorld, tenant: string): Promise<string> {
  const [row] = await world.db.adminSql<{ id: string }[]>`
    select id from seed.runs where tenant_id = ${tenant} order by created_at limit 1`;
  return row?.id as string;
}
