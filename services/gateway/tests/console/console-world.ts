/**
 * The world of the console browser tests: a gateway serving the console, headless Chromium, and the
 * steps the tests share (signing in, playing the planner and the evidence service, a dead batch).
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseManifest } from "@semente/core/manifest";
import { planBatches } from "@semente/core/pipeline";
import { pae } from "@semente/platform/evidence";
import { ensurePipelineStreams, type PipelineNames } from "@semente/platform/pipeline";
import { getRun, transitionRun } from "@semente/platform/runs";
import type { BrowserContext, Page } from "playwright-core";
import { insertPlan, markCommitted, markDeadLettered } from "../../../planner/src/batches.ts";
import { createWorld, NIGHT, profile, storeDeadBatchOf, type TestWorld, token } from "../utils.ts";
import { launchChromium } from "./browser.ts";

/** The key id of the evidence in these tests (signed by a test key the browser gets as the JWKS). */
export const KID = "local-dev:console-test";

export interface ConsoleWorld {
  readonly world: TestWorld;
  /** The gateway's origin, `http://127.0.0.1:<port>`. */
  readonly base: string;
  readonly context: BrowserContext;
}

let world: TestWorld;
let pipeline: PipelineNames;
let server: { stop(): unknown; port: number };
let base: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;

// The signing key of the evidence in these tests, and the JWKS the browser checks it against.
const signer = generateKeyPairSync("ed25519");
const wormDir = mkdtempSync(join(tmpdir(), "semente-console-worm-"));
const JWKS = { keys: [{ ...signer.publicKey.export({ format: "jwk" }), kid: KID, alg: "EdDSA", use: "sig" }] };

/** Starts the gateway and Chromium before the file's tests and stops them after. */
export function useConsoleWorld(): ConsoleWorld {
  beforeAll(async () => {
    world = await createWorld("gw_console", { now: NIGHT, globalSlots: 10 });
    pipeline = await ensurePipelineStreams(world.nats.jsm, {
      namePrefix: world.nats.prefix,
      subjectPrefix: world.nats.subjectPrefix,
    });
    const gateway = await world.newGateway({}, NIGHT, {
      pipeline,
      consoleDevTokens: true,
      runEvents: { pollMs: 100, heartbeatMs: 1_000, evidenceWaitMs: 10_000 },
    });
    server = gateway.app.listen({ port: 0, hostname: "127.0.0.1" }).server as unknown as typeof server;
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
    context = browser.context;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await world?.close();
    rmSync(wormDir, { recursive: true, force: true });
  });
  return {
    get world() {
      return world;
    },
    get base() {
      return base;
    },
    get context() {
      return context;
    },
  };
}

/** A page whose JWKS request is answered with the test key set (these reports are signed by a test key). */
export async function newPage(): Promise<Page> {
  const page = await context.newPage();
  await page.route("**/api/v1/evidence/keys", (r) =>
    r.fulfill({ status: 200, contentType: "application/jwk-set+json", body: JSON.stringify(JWKS) }),
  );
  return page;
}

/** The newest run of a tenant, once the console created it. */
export async function newestRun(tenant: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const [row] = await world.db.adminSql<{ id: string }[]>`
      select id from seed.runs where tenant_id = ${tenant} order by created_at desc limit 1`;
    if (row !== undefined) return row.id;
    await Bun.sleep(100);
  }
  throw new Error(`no run for ${tenant}`);
}

/** Plays the planner and the evidence service: plan, commit batch by batch, complete, sign the report. */
export async function executeRun(runId: string, tenant: string): Promise<string> {
  const plan = planBatches(parseManifest(profile("dev", tenant)).manifest);
  const run = await getRun(world.db.appSql, runId);
  if (run === null) throw new Error("run vanished");
  await insertPlan(world.db.appSql, run, plan);
  for (const to of ["planning", "running"] as const) await transitionRun(world.db.appSql, runId, { to });
  for (const b of plan.batches) {
    await Bun.sleep(120);
    await markCommitted(world.db.appSql, runId, b, "ef".repeat(32), b.to - b.from);
  }
  const digest = "12".repeat(32);
  await transitionRun(world.db.appSql, runId, {
    to: "completed",
    patch: { rowsWritten: plan.totalRows, datasetDigest: digest },
  });
  await storeSignedReport(runId, digest);
  return `sha256:${digest}`;
}

/** A signed report of the run, stored and indexed as the evidence service would. */
async function storeSignedReport(runId: string, digest: string): Promise<void> {
  const report = {
    schema_version: 1,
    dataset: { digest: `sha256:${digest}`, recorded_digest: `sha256:${digest}`, matches_recorded: true },
    checklist: [
      { id: "pii", status: "pass", summary: "no raw PII", evidence: {} },
      { id: "rls", status: "pass", summary: "RLS preflight passed", evidence: {} },
    ],
  };
  const payload = Buffer.from(JSON.stringify(report));
  const payloadType = "application/vnd.semente.evidence+json";
  const envelope = {
    payloadType,
    payload: payload.toString("base64"),
    signatures: [{ keyid: KID, sig: sign(null, pae(payloadType, payload), signer.privateKey).toString("base64") }],
  };
  // Stored as the WORM filesystem store would (the gateway re-reads the object and checks its hash).
  const bytes = JSON.stringify(envelope);
  const sha = createHash("sha256").update(bytes).digest("hex");
  const file = join(wormDir, `${runId}.dsse.json`);
  writeFileSync(file, bytes);
  await world.db.adminSql`
    insert into seed.evidence_index (run_id, location, sha256, size_bytes, signature, signature_alg, signature_key_id,
      storage, environment, tenant_id, retain_until, envelope)
    select id, ${pathToFileURL(file).href}, ${sha}, ${bytes.length}, 'sig', 'ed25519', ${KID}, 'filesystem',
      environment, tenant_id, now() + interval '400 days', ${world.db.adminSql.json(envelope)}
    from seed.runs where id = ${runId}`;
}

/** A running run of `tenant` (created through the API) whose first batch is dead-lettered, and its DLQ entry. */
export async function runWithDeadBatch(tenant: string): Promise<{ runId: string; entity: string; batchIndex: number }> {
  const res = await fetch(`${base}/api/v1/seed-runs`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${await token()}`,
      "Content-Type": "application/yaml",
      "Idempotency-Key": tenant,
    },
    body: profile("dev", "banco-alfa").replace("tenant: banco-alfa", `tenant: ${tenant}`),
  });
  expect(res.status).toBe(202);
  const runId = ((await res.json()) as { id: string }).id;
  const plan = planBatches(parseManifest(profile("dev", "banco-alfa")).manifest);
  const run = await getRun(world.db.appSql, runId);
  if (run === null) throw new Error("run vanished");
  await insertPlan(world.db.appSql, run, plan);
  for (const to of ["planning", "running"] as const) await transitionRun(world.db.appSql, runId, { to });
  const batch = plan.batches[0] as { entity: string; batchIndex: number };
  await markDeadLettered(world.db.appSql, runId, batch, { code: "CONTRACT_VIOLATION", message: "bad row" });
  await storeDeadBatchOf(world.nats, pipeline, { id: runId, tenant }, 1, batch);
  return { runId, entity: batch.entity, batchIndex: batch.batchIndex };
}

/** Signs in from the console's sign-in page, with `bearer` or a minted dev token, by keyboard. */
export async function signIn(page: Page, bearer?: string): Promise<void> {
  await page.goto(`${base}/console`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  const field = page.getByLabel("Bearer token");
  if (bearer === undefined) {
    await page.getByRole("button", { name: "Mint a dev token" }).click();
    for (let i = 0; i < 50 && (await field.inputValue()) === ""; i++) await Bun.sleep(50);
  } else {
    await field.fill(bearer);
  }
  // Keyboard only: from the field, Tab reaches "Sign in", Enter presses it.
  await field.focus();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Seed runs" }).waitFor();
}
