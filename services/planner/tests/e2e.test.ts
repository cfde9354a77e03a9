import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withTenant } from "@semente/platform/db";
import { parseManifest } from "@semente/core/manifest";
import { planBatches } from "@semente/core/pipeline";
import { createTestDatabase } from "../../../packages/platform/tests/harness.ts";
import {
  CLI,
  cli,
  counts,
  createE2eInfra,
  type E2eInfra,
  freePort,
  lastJson,
  ROOT,
  type SeedJson,
  type Stack,
  startStack,
} from "./e2e-utils.ts";

const ALFA = "configs/seed_profiles/dev/banco-alfa.yaml";
const BETA = "configs/seed_profiles/dev/banco-beta.yaml";
const planOf = (path: string) => planBatches(parseManifest(readFileSync(join(ROOT, path), "utf8")).manifest);

let infra: E2eInfra;
const digests: Record<string, string> = {};

beforeAll(async () => {
  infra = await createE2eInfra(["banco-alfa", "banco-beta"]);
});
afterAll(async () => {
  await infra.cleanup();
});

async function seed(stack: Stack, profile: string, extra: string[] = []): Promise<{ code: number; run: SeedJson }> {
  const result = await cli(stack, ["seed", "--profile", profile, "--follow", "--json", ...extra]);
  if (result.code !== 0 && process.env.DEBUG_E2E) console.error(result.stderr);
  return { code: result.code, run: lastJson<SeedJson>(result.stdout) };
}

describe("e2e: gateway → planner → seeders", () => {
  test("e2e - seeds the canonical dev baseline of two tenants; counts equal the plan, RLS isolates, verify agrees", async () => {
    const stack = await startStack(infra, "e2e_main", 2);
    try {
      for (const [tenant, profile] of [
        ["banco-alfa", ALFA],
        ["banco-beta", BETA],
      ] as const) {
        const { code, run } = await seed(stack, profile);
        expect(code).toBe(0);
        expect(run.state).toBe("completed");
        expect(run.dataset_digest).toMatch(/^[0-9a-f]{64}$/);
        digests[tenant] = run.dataset_digest as string;
        expect(await counts(stack, tenant)).toEqual(planOf(profile).rowsPerEntity);
      }
      expect(digests["banco-alfa"]).not.toBe(digests["banco-beta"]);
      // RLS: the verification role scoped to one tenant sees none of the other's rows.
      const seen = await withTenant(stack.db.verifierSql, "banco-alfa", async (tx) => {
        const [row] = await tx<{ own: string; other: string }[]>`
          SELECT count(*) FILTER (WHERE tenant_id = 'banco-alfa')::text AS own,
                 count(*) FILTER (WHERE tenant_id <> 'banco-alfa')::text AS other FROM banking.customers`;
        return row;
      });
      expect(Number(seen?.own)).toBe(planOf(ALFA).rowsPerEntity.customers);
      expect(seen?.other).toBe("0");
      const verify = await cli(stack, ["verify", "--profile", ALFA, "--json"]);
      expect(verify.code).toBe(0);
      expect(lastJson<{ ok: boolean; dataset_digest: string }>(verify.stdout).dataset_digest).toBe(
        `sha256:${digests["banco-alfa"]}`,
      );
      const runs = await cli(stack, ["runs", "--tenant", "banco-alfa", "--env", "dev", "--json"]);
      expect(runs.code).toBe(0);
      expect(lastJson<{ state: string }[]>(runs.stdout).map((r) => r.state)).toEqual(["completed"]);
    } finally {
      await stack.stop();
    }
  }, 90_000);

  test("e2e - one seeder on a clean database gives the same digest; a poison batch goes to the DLQ, replay completes", async () => {
    const stack = await startStack(infra, "e2e_one", 1);
    try {
      const { code, run } = await seed(stack, ALFA);
      expect(code).toBe(0);
      expect(run.dataset_digest).toBe(digests["banco-alfa"] as string);
      // Poison: the only seeder fails customers#0 of every run until it is replaced.
      stack.seeders[0]?.kill("SIGTERM");
      await stack.seeders[0]?.exited;
      const faulty = await stack.startSeeder({ SEEDER_FAULT_INJECTION: "true", SEEDER_FAULT_ENTITY: "customers:0" });
      const poisoned = await seed(stack, BETA);
      expect(poisoned.run.state).toBe("failed");
      expect(poisoned.run.reason?.code).toBe("BATCH_DEAD_LETTERED");
      expect(poisoned.code).toBe(6);
      const list = await cli(stack, ["dlq", "list", "--json"]);
      const dead = lastJson<{ id: string; batch: { runId: string; entity: string } }[]>(list.stdout).filter(
        (r) => r.batch.runId === poisoned.run.id,
      );
      expect(dead.map((d) => d.batch.entity)).toEqual(["customers"]);
      faulty.kill("SIGTERM");
      await faulty.exited;
      await stack.startSeeder();
      const replay = await cli(stack, ["dlq", "replay", dead[0]?.id as string, "--follow"]);
      expect(replay.code).toBe(0);
      expect(replay.stdout).toContain(`digest     sha256:${digests["banco-beta"]}`);
      expect(await counts(stack, "banco-beta")).toEqual(planOf(BETA).rowsPerEntity);
      // Replaying the same dead batch again resumes nothing more: one resume run, once.
      const twice = await cli(stack, ["dlq", "replay", dead[0]?.id as string]);
      expect(twice.code).toBe(0);
      expect(twice.stderr).toContain("already replayed");
      const betaRuns = await stack.db.adminSql<{ n: number }[]>`
        select count(*)::int as n from seed.runs where tenant_id = 'banco-beta'`;
      expect(betaRuns[0]?.n).toBe(2);
      expect(twice.stdout.trim()).not.toBe(poisoned.run.id);
    } finally {
      await stack.stop();
    }
  }, 90_000);

  test("e2e - four seeders give the same digest; a dry run leaves the database byte-identical", async () => {
    const stack = await startStack(infra, "e2e_four", 4);
    try {
      const { run } = await seed(stack, ALFA);
      expect(run.dataset_digest).toBe(digests["banco-alfa"] as string);
      const snapshot = async () => {
        const [row] = await stack.db.adminSql<{ sum: string }[]>`
          SELECT md5(string_agg(t, ',' ORDER BY t)) AS sum FROM (
            SELECT 'cp:' || count(*) || ':' || coalesce(md5(string_agg(digest, ',' ORDER BY digest)), '') AS t FROM seed.checkpoints
            UNION ALL SELECT 'customers:' || count(*) FROM banking.customers
            UNION ALL SELECT 'loans:' || count(*) FROM banking.loans
            UNION ALL SELECT 'installments:' || count(*) FROM banking.installments
            UNION ALL SELECT 'tx:' || count(*) FROM banking.financial_transactions) s`;
        return { sum: row?.sum, alfa: await counts(stack, "banco-alfa"), beta: await counts(stack, "banco-beta") };
      };
      const before = await snapshot();
      const dry = await seed(stack, BETA, ["--dry-run"]);
      expect(dry.code).toBe(0);
      expect(dry.run.state).toBe("completed");
      expect(dry.run.dataset_digest).toBe(digests["banco-beta"] as string);
      expect(await snapshot()).toEqual(before);
    } finally {
      await stack.stop();
    }
  }, 90_000);

  test("e2e - a seeder kill -9'ed mid-batch twice: the run still ends with the same digest", async () => {
    const stack = await startStack(infra, "e2e_kill", 1);
    try {
      const names = { stream: `${infra.nats.prefix}SEED_BASELINE`, consumer: "seeders-baseline" };
      const seeding = seed(stack, ALFA);
      for (let kill = 0; kill < 2; kill++) {
        // The only seeder holds a batch (ack pending): it is mid-batch when it dies.
        for (let i = 0; i < 400; i++) {
          const info = await infra.nats.jsm.consumers.info(names.stream, names.consumer);
          if (info.num_ack_pending > 0) break;
          await Bun.sleep(10);
        }
        const victim = stack.seeders[stack.seeders.length - 1];
        victim?.kill("SIGKILL");
        await victim?.exited;
        await stack.startSeeder();
      }
      const { code, run } = await seeding;
      expect(code).toBe(0);
      expect(run.dataset_digest).toBe(digests["banco-alfa"] as string);
      expect(await counts(stack, "banco-alfa")).toEqual(planOf(ALFA).rowsPerEntity);
    } finally {
      await stack.stop();
    }
  }, 90_000);

  test("e2e - a preflight refusal (key version ≠ provider) exits 5 and writes nothing", async () => {
    const stack = await startStack(infra, "e2e_refuse", 1);
    try {
      const dir = mkdtempSync(join(tmpdir(), "semente-e2e-manifest-"));
      const path = join(dir, "banco-alfa-v2.yaml");
      writeFileSync(path, readFileSync(join(ROOT, ALFA), "utf8").replace("key_version: 1", "key_version: 2"));
      const { code, run } = await seed(stack, path);
      expect(run.state).toBe("failed");
      expect(run.reason?.code).toBe("KEY_VERSION_MISMATCH");
      expect(code).toBe(5);
      expect(Object.values(await counts(stack, "banco-alfa")).every((n) => n === 0)).toBe(true);
    } finally {
      await stack.stop();
    }
  }, 60_000);

  test("e2e - `semente up` starts the stack, `seed --follow` prints the summary, `semente down` stops it", async () => {
    const db = await createTestDatabase("e2e_up");
    const dir = mkdtempSync(join(tmpdir(), "semente-e2e-up-"));
    const gatewayPort = freePort();
    const env = {
      ...infra.env,
      SEMENTE_APP_DATABASE_URL: db.urls.app,
      SEMENTE_SEEDER_DATABASE_URL: db.urls.seeder,
      SEMENTE_VERIFIER_DATABASE_URL: db.urls.verifier,
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
      PLANNER_HEALTH_PORT: String(freePort()),
      SEEDER_HEALTH_PORT_BASE: String(freePort() + 100),
      EVIDENCE_HEALTH_PORT: String(freePort()),
      EVIDENCE_DURABLE: `evidence-${crypto.randomUUID().slice(0, 8)}`,
      SEMENTE_EVIDENCE_WAIT_S: "20",
    };
    const run = async (args: string[]) => {
      const proc = Bun.spawn([process.execPath, CLI, ...args], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      return { stdout, stderr, code };
    };
    try {
      const up = await run(["up", "--seeders", "2", "--dir", dir]);
      if (up.code !== 0 && process.env.DEBUG_E2E) console.error(up.stdout, up.stderr);
      expect(up.code).toBe(0);
      expect(up.stdout).toContain("seeder-2");
      const again = await run(["up", "--seeders", "2", "--dir", dir]);
      expect(again.stdout).toContain("already running");
      const seeded = await run(["seed", "--profile", ALFA, "--follow"]);
      expect(seeded.code).toBe(0);
      expect(seeded.stdout).toMatch(/digest {5}sha256:[0-9a-f]{64}/);
      if (digests["banco-alfa"] !== undefined) expect(seeded.stdout).toContain(`sha256:${digests["banco-alfa"]}`);
      expect(seeded.stdout).toMatch(/customers\s+200 \/ 200/);
      expect(seeded.stdout).toContain("elapsed");
      // The evidence service signed, stored and indexed exactly one report, which verifies.
      // The gateway names the filesystem object by its key inside the store, never by the server's path.
      const key = /evidence\s+worm-fs:(\S+)/.exec(seeded.stdout)?.[1];
      // The run's evidence status: its checklist, with the dataset item passing.
      expect(seeded.stdout).toMatch(/checklist {2}.*dataset pass/);
      expect(key).toBeDefined();
      const runId = /run {8}([0-9a-f-]{36})/.exec(seeded.stdout)?.[1] as string;
      const reports = await db.adminSql`SELECT location FROM seed.evidence_index WHERE run_id = ${runId}`;
      expect(reports.length).toBe(1);
      expect(String(reports[0]?.location)).toEndWith(`/${key}`);
      const verified = await run(["evidence", "verify", runId]);
      if (verified.code !== 0) console.error(verified.stdout, verified.stderr);
      expect(verified.code).toBe(0);
      // The report vouches for the run's recorded digest, and its signature verifies with the JWKS the
      // gateway publishes, in a plain node process that imports nothing from Semente.
      const envelopePath = fileURLToPath(String(reports[0]?.location));
      const envelope = JSON.parse(readFileSync(envelopePath, "utf8")) as { payload: string };
      const report = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
      const [recorded] = await db.adminSql<{ dataset_digest: string }[]>`
        SELECT dataset_digest FROM seed.runs WHERE id = ${runId}`;
      expect(report.dataset.digest).toBe(`sha256:${recorded?.dataset_digest}`);
      expect(report.checklist.find((c: { id: string }) => c.id === "dataset").status).toBe("pass");
      const jwks = await fetch(`${env.GATEWAY_URL}/api/v1/evidence/keys`);
      expect(jwks.status).toBe(200);
      writeFileSync(join(dir, "jwks.json"), await jwks.text());
      const node = Bun.spawnSync([
        "node",
        join(ROOT, "docs/examples/verify-evidence.mjs"),
        envelopePath,
        join(dir, "jwks.json"),
      ]);
      expect(node.stdout.toString()).toContain(`valid: run ${runId} (completed)`);
      expect(node.exitCode).toBe(0);
      // One value altered as a superuser: both verify commands exit 6 naming entity and column.
      const [loan] = await db.adminSql<{ id: string }[]>`SELECT id FROM banking.loans ORDER BY id LIMIT 1`;
      await db.adminSql`UPDATE banking.loans SET principal = principal + 1 WHERE id = ${loan?.id as string}`;
      try {
        for (const args of [
          ["evidence", "verify", runId],
          ["verify", "--profile", ALFA],
        ]) {
          const altered = await run(args);
          expect(altered.code).toBe(6);
          expect(altered.stderr).toMatch(/loans ordinal \d+: column principal differs/);
        }
      } finally {
        await db.adminSql`UPDATE banking.loans SET principal = principal - 1 WHERE id = ${loan?.id as string}`;
      }
    } finally {
      const down = await run(["down", "--dir", dir]);
      expect(down.code).toBe(0);
      expect(down.stdout).toMatch(/planner\s+stopped/);
      await db.drop();
    }
  }, 90_000);
});
