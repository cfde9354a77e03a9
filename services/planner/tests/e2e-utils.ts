import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { ENTITIES } from "@semente/core/manifest";
import { createTestDatabase, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import { startVaultServer, type VaultTestServer } from "../../../packages/platform/tests/keys/vault-server.ts";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";

/** Repository root (the e2e tests run the real entry points from it). */
export const ROOT = resolve(import.meta.dir, "../../..");
export const CLI = join(ROOT, "packages/cli/src/main.ts");

/** Polls `check` until it returns a value (not `undefined`); throws after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const value = await check();
    if (value !== undefined) return value;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = server.port as number;
  server.stop(true);
  return port;
}

/** Shared per-file infrastructure: NATS prefixes and a Vault-speaking key server. */
export interface E2eInfra {
  nats: TestNats;
  vault: VaultTestServer;
  /** Environment every process of every stack gets. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function createE2eInfra(tenants: readonly string[]): Promise<E2eInfra> {
  const nats = await createTestNats("e2e");
  const vault = startVaultServer();
  for (const tenant of tenants) vault.createKey(`semente-fpe-dev-${tenant}`);
  // Evidence reports of dev runs are signed with this Transit key (Ed25519).
  vault.createKey("semente-evidence-dev", "ed25519");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    CI: "true",
    SEMENTE_ENV: "dev",
    SEMENTE_ENV_FILE: "/nonexistent/.env",
    NATS_URL: nats.url,
    CONTROL_NATS_NAME_PREFIX: nats.prefix,
    CONTROL_NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    EVIDENCE_WORM_DIR: mkdtempSync(join(tmpdir(), "semente-e2e-worm-")),
    PIPELINE_NATS_NAME_PREFIX: nats.prefix,
    PIPELINE_NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    PIPELINE_ACK_WAIT_MS: "3000",
    PIPELINE_MAX_DELIVER: "3",
    SEEDER_HEARTBEAT_MS: "1000",
    PLANNER_RECONCILE_MS: "150",
    KEY_PROVIDER: "vault-transit",
    VAULT_ADDR: vault.url,
    VAULT_TOKEN: vault.token,
    GATEWAY_JWT_SECRET: `e2e-${crypto.randomUUID()}-${crypto.randomUUID()}`,
    LOG_LEVEL: "info",
    // Only the `semente up` stack runs the evidence service; it sets its own wait.
    SEMENTE_EVIDENCE_WAIT_S: "0",
  };
  return {
    nats,
    vault,
    env,
    async cleanup() {
      await vault.stop();
      await nats.cleanup();
    },
  };
}

/** A running stack (gateway, planner, seeders) on its own database. */
export interface Stack {
  db: TestDatabase;
  /** Environment of the CLI for this stack. */
  cliEnv: Record<string, string>;
  logDir: string;
  seeders: Subprocess[];
  /** The planner process (replaced by `restartPlanner`). */
  planner: Subprocess;
  startSeeder(extra?: Record<string, string>): Promise<Subprocess>;
  /** Starts a new planner process (after the test killed the previous one) and waits until it is ready. */
  restartPlanner(): Promise<Subprocess>;
  stop(): Promise<void>;
}

async function waitReady(url: string, proc: Subprocess, name: string, timeoutMs = 30_000): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode} during start-up`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).status === 200) return;
    } catch (error) {
      // Not listening yet.
      if (!(error instanceof Error)) throw error;
    }
    await Bun.sleep(100);
  }
  throw new Error(`${name} not ready at ${url}`);
}

function spawnService(entry: string, env: Record<string, string>, log: string): Subprocess {
  return Bun.spawn([process.execPath, join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdout: Bun.file(log),
    stderr: Bun.file(`${log}.err`),
  });
}

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Overrides of every process's environment (SEMENTE_ENV, the WORM backend…). */
  env?: Record<string, string>;
  /** Also start the evidence service (signed reports of ended runs). @default false */
  evidence?: boolean;
  /** Overrides of the seeders' environment only. */
  seederEnv?: Record<string, string>;
}

/** Starts gateway, planner and `seeders` seeder processes on a fresh database (and the evidence service when asked). */
export async function startStack(
  infra: E2eInfra,
  slug: string,
  seeders: number,
  options: StackOptions = {},
): Promise<Stack> {
  const db = await createTestDatabase(slug);
  const logDir = mkdtempSync(join(tmpdir(), `semente-e2e-${slug}-`));
  const gatewayPort = freePort();
  const base = { ...infra.env, ...options.env };
  const gateway = spawnService(
    "services/gateway/src/main.ts",
    { ...base, SEMENTE_APP_DATABASE_URL: db.urls.app, GATEWAY_PORT: String(gatewayPort) },
    join(logDir, "gateway.log"),
  );
  let plannerPort = freePort();
  let planners = 0;
  const spawnPlanner = () => {
    planners += 1;
    return spawnService(
      "services/planner/src/main.ts",
      {
        ...base,
        SEMENTE_APP_DATABASE_URL: db.urls.app,
        SEMENTE_SEEDER_DATABASE_URL: db.urls.seeder,
        SEMENTE_VERIFIER_DATABASE_URL: db.urls.verifier,
        HEALTH_PORT: String(plannerPort),
      },
      join(logDir, planners === 1 ? "planner.log" : `planner-${planners}.log`),
    );
  };
  const planner = spawnPlanner();
  const procs: Subprocess[] = [gateway, planner];
  const evidencePort = freePort();
  if (options.evidence) {
    procs.push(
      spawnService(
        "services/evidence/src/main.ts",
        {
          ...base,
          SEMENTE_APP_DATABASE_URL: db.urls.app,
          EVIDENCE_HEALTH_PORT: String(evidencePort),
          EVIDENCE_DURABLE: `evidence-${slug}-${crypto.randomUUID().slice(0, 8)}`,
        },
        join(logDir, "evidence.log"),
      ),
    );
  }
  const stack: Stack = {
    db,
    logDir,
    planner,
    async restartPlanner() {
      plannerPort = freePort();
      stack.planner = spawnPlanner();
      procs.push(stack.planner);
      await waitReady(`http://127.0.0.1:${plannerPort}/readyz`, stack.planner, "planner");
      return stack.planner;
    },
    seeders: [],
    cliEnv: {
      ...base,
      GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
      SEMENTE_APP_DATABASE_URL: db.urls.app,
      SEMENTE_VERIFIER_DATABASE_URL: db.urls.verifier,
    },
    async startSeeder(extra = {}) {
      const port = freePort();
      const n = stack.seeders.length + 1;
      const seeder = spawnService(
        "services/seeder/src/main.ts",
        {
          ...base,
          SEMENTE_SEEDER_DATABASE_URL: db.urls.seeder,
          HEALTH_PORT: String(port),
          ...options.seederEnv,
          ...extra,
        },
        join(logDir, `seeder-${n}.log`),
      );
      stack.seeders.push(seeder);
      procs.push(seeder);
      await waitReady(`http://127.0.0.1:${port}/readyz`, seeder, `seeder-${n}`);
      return seeder;
    },
    async stop() {
      for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
      await Promise.race([Promise.all(procs.map((p) => p.exited)), Bun.sleep(10_000)]);
      for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
      await db.drop();
    },
  };
  await waitReady(`http://127.0.0.1:${gatewayPort}/readyz`, gateway, "gateway");
  await waitReady(`http://127.0.0.1:${plannerPort}/readyz`, planner, "planner");
  if (options.evidence) {
    await waitReady(`http://127.0.0.1:${evidencePort}/readyz`, procs[2] as Subprocess, "evidence");
  }
  for (let i = 0; i < seeders; i++) await stack.startSeeder();
  return stack;
}

/** Runs the CLI as a process; returns exit code and output. */
export async function cli(
  stack: Pick<Stack, "cliEnv"> & Partial<Stack>,
  args: string[],
  timeoutMs = 60_000,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, CLI, ...args], {
    cwd: ROOT,
    env: { ...stack.cliEnv, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** `semente seed --follow --json` result (the last stdout line). */
export interface SeedJson {
  id: string;
  state: string;
  dataset_digest: string | null;
  reason: { code: string } | null;
  per_entity: { entity: string; planned: number; written: number }[];
}

export function lastJson<T>(stdout: string): T {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1] as string) as T;
}

/** Row counts of every banking table for `tenant` (superuser: RLS hides nothing). */
export async function counts(stack: Stack, tenant: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const entity of ENTITIES) {
    const [row] = await stack.db.adminSql.unsafe<{ n: string }[]>(
      `SELECT count(*)::text AS n FROM banking.${entity} WHERE tenant_id = $1`,
      [tenant],
    );
    out[entity] = Number(row?.n ?? 0);
  }
  return out;
}
