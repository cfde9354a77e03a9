import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintToken, resolveAuthKeys } from "@semente/platform/auth";
import { openAdmissionBuckets, tenantLeaseKey } from "@semente/platform/bus";
import { claimLease, releaseLease } from "@semente/platform/admission";
import { snapshotTenant } from "../../../packages/platform/tests/lifecycle/utils.ts";
import {
  cli,
  counts,
  createE2eInfra,
  type E2eInfra,
  lastJson,
  ROOT,
  type SeedJson,
  type Stack,
  startStack,
} from "./e2e-utils.ts";

// Copies of the dev profiles whose SLO gate tolerates this shared, loaded machine (a batch over the
// canonical 1.5 s p95 aborts a run), where a manifest's folder and name must be; EDITED is banco-alfa
// with another reference_datetime.
const DIR = mkdtempSync(join(tmpdir(), "semente-reseed-"));
const ALFA = join(DIR, "base", "dev", "banco-alfa.yaml");
const BETA = join(DIR, "base", "dev", "banco-beta.yaml");
const EDITED = join(DIR, "edited", "dev", "banco-alfa.yaml");
const SLO = /slo: \{[^}]*\}/;
const TOLERANT_SLO = "slo: { p95_batch_ms: 60000, p99_batch_ms: 60000, min_rows_per_second: 1, max_error_rate: 0.05 }";
const ENDED = new Set(["completed", "failed", "aborted", "cancelled", "expired"]);

function writeProfile(path: string, tenant: string, edit: (text: string) => string = (t) => t): void {
  mkdirSync(join(path, ".."), { recursive: true });
  const text = readFileSync(join(ROOT, "configs/seed_profiles/dev", `${tenant}.yaml`), "utf8");
  writeFileSync(path, edit(text.replace(SLO, TOLERANT_SLO)));
  expect(readFileSync(path, "utf8")).toContain(TOLERANT_SLO);
}

let infra: E2eInfra;
let stack: Stack;

interface RunJson extends SeedJson {
  operation: string;
  progress: { rows_written: number; rows_deleted?: number | null };
}

async function tenantHash(tenant: string): Promise<string> {
  return createHash("sha256")
    .update(JSON.stringify(await snapshotTenant(stack.db, tenant)))
    .digest("hex");
}

const rows = async (tenant: string) => Object.values(await counts(stack, tenant)).reduce((a, b) => a + b, 0);

async function runState(id: string): Promise<string> {
  const [row] = await stack.db.adminSql<{ state: string }[]>`select state from seed.runs where id = ${id}`;
  return row?.state ?? "";
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

async function chunksOf(runId: string): Promise<number> {
  const [row] = await stack.db.adminSql<{ n: number }[]>`
    select count(*)::int as n from seed.purge_progress where run_id = ${runId}`;
  return row?.n ?? 0;
}

/** Kills the only seeder with SIGKILL once the run's purge has committed a few chunks, then starts another. */
async function killSeederMidPurge(runId: string): Promise<number> {
  await waitFor(async () => (await chunksOf(runId)) >= 5, "the purge's first chunks");
  const victim = stack.seeders.at(-1);
  victim?.kill(9);
  expect(await victim?.exited).not.toBe(0);
  const atKill = await chunksOf(runId);
  expect(await runState(runId)).toBe("running");
  await stack.startSeeder();
  return atKill;
}

beforeAll(async () => {
  infra = await createE2eInfra(["banco-alfa", "banco-beta"]);
  // Small purge chunks, so that a purge of the dev dataset lasts long enough to be killed midway.
  stack = await startStack(infra, "e2e_lifecycle", 1, { evidence: true, seederEnv: { SEEDER_PURGE_CHUNK_ROWS: "5" } });
  writeProfile(ALFA, "banco-alfa");
  writeProfile(BETA, "banco-beta");
  writeProfile(EDITED, "banco-alfa", (t) =>
    t.replace('reference_datetime: "2025-01-01T00:00:00Z"', 'reference_datetime: "2025-03-01T00:00:00Z"'),
  );
  expect(readFileSync(EDITED, "utf8")).toContain("2025-03-01T00:00:00Z");
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await infra?.cleanup();
});

describe("e2e: purge and reseed as governed runs", () => {
  test("purge - `semente purge` deletes one tenant; the other stays byte-identical; the evidence verifies", async () => {
    expect((await cli(stack, ["seed", "--profile", ALFA, "--follow", "--json"], 120_000)).code).toBe(0);
    expect((await cli(stack, ["seed", "--profile", BETA, "--follow", "--json"], 120_000)).code).toBe(0);
    const seeded = await rows("banco-alfa");
    const beta = await tenantHash("banco-beta");

    const purged = await cli(stack, ["purge", "--tenant", "banco-alfa", "--env", "dev", "--follow", "--json"], 120_000);
    expect(purged.code).toBe(0);
    const run = lastJson<RunJson>(purged.stdout);
    expect(run.state).toBe("completed");
    expect(run.operation).toBe("purge");
    expect(run.progress.rows_deleted).toBeGreaterThan(seeded);
    expect(await rows("banco-alfa")).toBe(0);
    expect(await tenantHash("banco-beta")).toBe(beta);

    await waitFor(async () => {
      const found = await stack.db.adminSql`select 1 from seed.evidence_index where run_id = ${run.id}`;
      return found.length === 1;
    }, "the purge's evidence");
    const verified = await cli(stack, ["evidence", "verify", run.id, "--json"]);
    expect(verified.code).toBe(0);
  }, 300_000);

  test("refusals - not an admin (7), unknown tenant (9), mode not run here (4), tenant held by another run (8): nothing deleted", async () => {
    expect((await cli(stack, ["seed", "--profile", ALFA, "--follow", "--json"], 120_000)).code).toBe(0);
    const before = { alfa: await tenantHash("banco-alfa"), beta: await tenantHash("banco-beta") };
    const runner = await mintToken(resolveAuthKeys({ env: stack.cliEnv }), {
      subject: "e2e-runner",
      roles: ["seed-runner"],
      tenants: ["banco-alfa"],
      environments: ["dev"],
      ttlSeconds: 600,
      issuedAt: Math.floor(Date.now() / 1000),
    });
    const purge = (tenant: string, extra: string[] = [], env: Record<string, string> = {}) =>
      cli(stack, ["purge", "--tenant", tenant, "--env", "dev", ...extra], 60_000, env);
    const forbidden = await purge("banco-alfa", [], { SEMENTE_TOKEN: runner });
    expect(forbidden.code).toBe(7);
    const unknown = await purge("banco-gama");
    expect(unknown.code).toBe(9);
    expect(unknown.stderr).toContain("no run and no checkpoint");
    expect((await purge("banco-alfa", ["--mode", "load"])).code).toBe(4);
    expect((await purge("banco-alfa", ["--mode", "nope"])).code).toBe(2);

    const buckets = await openAdmissionBuckets(infra.nats.nc, {
      prefix: infra.nats.prefix,
      slotLeaseTtlMs: 60_000,
      tenantLeaseTtlMs: 60_000,
    });
    const holder = crypto.randomUUID();
    const key = tenantLeaseKey("dev", "banco-beta");
    const claimed = await claimLease(
      buckets.tenantLeases,
      key,
      { runId: holder, holderId: "e2e", expiresAt: Date.now() + 60_000 },
      Date.now(),
    );
    expect(claimed.ok).toBe(true);
    try {
      const held = await purge("banco-beta");
      expect(held.code).toBe(8);
      expect(held.stderr).toContain(holder);
      const reseed = await cli(stack, ["seed", "--profile", BETA, "--reseed"], 60_000);
      expect(reseed.code).toBe(8);
    } finally {
      await releaseLease(buckets.tenantLeases, key, holder);
    }
    expect({ alfa: await tenantHash("banco-alfa"), beta: await tenantHash("banco-beta") }).toEqual(before);
  }, 300_000);

  test("reseed - an edited reference_datetime is refused naming the remedy; --reseed completes; verify passes; the other tenant is untouched", async () => {
    const before = await counts(stack, "banco-alfa");
    const beta = await tenantHash("banco-beta");
    const refused = await cli(stack, ["seed", "--profile", EDITED, "--follow", "--json"], 120_000);
    expect(refused.code).toBe(5);
    const reason = lastJson<SeedJson & { reason: { code: string; detail: string } }>(refused.stdout).reason;
    expect(reason.code).toBe("REFERENCE_DATETIME_MISMATCH");
    expect(reason.detail).toContain("--reseed");
    expect(reason.detail).toContain("reference_datetime");
    expect(await counts(stack, "banco-alfa")).toEqual(before);

    const reseed = await cli(stack, ["seed", "--profile", EDITED, "--reseed", "--follow", "--json"], 180_000);
    expect(reseed.code).toBe(0);
    const run = lastJson<RunJson>(reseed.stdout);
    expect(run.operation).toBe("reseed");
    expect(run.progress.rows_deleted).toBeGreaterThan(0);
    expect((await cli(stack, ["verify", "--profile", EDITED, "--json"], 120_000)).code).toBe(0);
    expect(await tenantHash("banco-beta")).toBe(beta);
    await waitFor(async () => {
      const found = await stack.db.adminSql`select 1 from seed.evidence_index where run_id = ${run.id}`;
      return found.length === 1;
    }, "the reseed's evidence");
    expect((await cli(stack, ["evidence", "verify", run.id, "--json"], 120_000)).code).toBe(0);
  }, 400_000);

  test("kill -9 - a seeder killed in the middle of a purge: the redelivered purge completes it", async () => {
    const beta = await tenantHash("banco-beta");
    const submitted = await cli(stack, ["purge", "--tenant", "banco-alfa", "--env", "dev"]);
    expect(submitted.code).toBe(0);
    const runId = submitted.stdout.trim().split("\n").at(-1) as string;
    const atKill = await killSeederMidPurge(runId);
    await waitFor(async () => ENDED.has(await runState(runId)), "the purge to end");
    expect(await runState(runId)).toBe("completed");
    expect(await chunksOf(runId)).toBeGreaterThan(atKill);
    expect(await rows("banco-alfa")).toBe(0);
    const [run] = await stack.db.adminSql<{ rows_deleted: string }[]>`
      select rows_deleted::text from seed.runs where id = ${runId}`;
    const [sum] = await stack.db.adminSql<{ n: string }[]>`
      select sum(rows_deleted)::text as n from seed.purge_progress where run_id = ${runId}`;
    expect(run?.rows_deleted).toBe(sum?.n);
    expect(await tenantHash("banco-beta")).toBe(beta);
  }, 300_000);

  test("kill -9 - a seeder killed in the middle of a reseed's purge: the run completes and verify passes", async () => {
    expect((await cli(stack, ["seed", "--profile", ALFA, "--follow", "--json"], 120_000)).code).toBe(0);
    const beta = await tenantHash("banco-beta");
    const submitted = await cli(stack, ["seed", "--profile", EDITED, "--reseed"], 60_000);
    expect(submitted.code).toBe(0);
    const runId = submitted.stdout.trim().split("\n").at(-1) as string;
    await killSeederMidPurge(runId);
    await waitFor(async () => ENDED.has(await runState(runId)), "the reseed to end", 180_000);
    expect(await runState(runId)).toBe("completed");
    expect((await cli(stack, ["verify", "--profile", EDITED, "--json"], 120_000)).code).toBe(0);
    expect(await tenantHash("banco-beta")).toBe(beta);
  }, 400_000);
});
