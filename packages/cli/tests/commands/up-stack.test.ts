import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../../../../services/planner/tests/e2e-utils.ts";
import { createTestDatabase, type TestDatabase } from "../../../platform/tests/harness.ts";
import { createTestNats, type TestNats } from "../../../platform/tests/nats-harness.ts";
import { isAlive, startupCause, upEnvironment } from "../../src/commands/up.ts";

const CLI = resolve(import.meta.dir, "../../src/main.ts");

let db: TestDatabase;
let nats: TestNats;

beforeAll(async () => {
  db = await createTestDatabase("up_stack");
  nats = await createTestNats("up_stack");
});
afterAll(async () => {
  await nats.cleanup();
  await db.drop();
});

/** A fresh shell: PATH and HOME only, plus the stack's ports, database and NATS prefixes. CI unset. */
function freshShell(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    SEMENTE_ENV_FILE: "/nonexistent/.env",
    NATS_URL: nats.url,
    SEMENTE_APP_DATABASE_URL: db.urls.app,
    SEMENTE_SEEDER_DATABASE_URL: db.urls.seeder,
    GATEWAY_PORT: String(freePort()),
    PLANNER_HEALTH_PORT: String(freePort()),
    SEEDER_HEALTH_PORT_BASE: String(freePort() + 200),
    EVIDENCE_HEALTH_PORT: String(freePort()),
    EVIDENCE_DURABLE: `evidence-${crypto.randomUUID().slice(0, 8)}`,
    CONTROL_NATS_NAME_PREFIX: nats.prefix,
    CONTROL_NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    PIPELINE_NATS_NAME_PREFIX: nats.prefix,
    PIPELINE_NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    ...extra,
  };
}

async function semente(args: string[], cwd: string, env: Record<string, string>) {
  const proc = Bun.spawn([process.execPath, CLI, ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

const pidsOf = (stdout: string) => [...stdout.matchAll(/\(pid (\d+)/g)].map((m) => Number(m[1]));

describe("semente up never half-starts", () => {
  test("up - a service that fails readiness stops every process this run started and names the variable", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "semente-up-fail-"));
    const env = freshShell({ KEY_PROVIDER: "vault-transit", GATEWAY_JWT_SECRET: `up-${crypto.randomUUID()}-secret` });
    const up = await semente(["up", "--seeders", "1", "--dir", join(cwd, ".semente"), "--timeout", "40"], cwd, env);
    expect(up.code).toBe(2);
    expect(up.stderr).toContain("evidence failed to start: VAULT_TOKEN");
    for (const name of ["gateway", "planner", "seeder-1"]) expect(up.stdout).toMatch(new RegExp(`${name}\\s+ready`));
    for (const name of ["gateway", "planner", "seeder-1", "evidence"]) {
      expect(up.stdout).toMatch(new RegExp(`${name}\\s+(stopped|killed|gone) \\(pid`));
      expect(existsSync(join(cwd, ".semente", "pids", `${name}.pid`))).toBe(false);
    }
    for (const pid of pidsOf(up.stdout)) expect(isAlive(pid)).toBe(false);
  }, 90_000);

  test("up - isolated dev from a fresh shell: .env.local's settings bring all five processes up", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "semente-up-dev-"));
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
    writeFileSync(
      join(cwd, ".env.local"),
      `SEMENTE_DEV_KEY=${key}\nSEMENTE_DEV_KEY_VERSION=1\nSEMENTE_ISOLATED_DEV=true\nKEY_PROVIDER=local-dev\n`,
    );
    const env = freshShell();
    const dir = join(cwd, ".semente");
    try {
      const up = await semente(["up", "--seeders", "2", "--dir", dir, "--timeout", "40"], cwd, env);
      if (up.code !== 0) console.error(up.stdout, up.stderr);
      expect(up.code).toBe(0);
      for (const name of ["gateway", "planner", "seeder-1", "seeder-2", "evidence"]) {
        expect(up.stdout).toMatch(new RegExp(`${name}\\s+ready`));
      }
    } finally {
      const down = await semente(["down", "--dir", dir], cwd, env);
      expect(down.code).toBe(0);
    }
  }, 90_000);

  test("up - .env.local fills only what the environment leaves unset, never under CI, never the key", () => {
    const cwd = mkdtempSync(join(tmpdir(), "semente-up-env-"));
    const file = join(cwd, "dev.env");
    writeFileSync(file, "SEMENTE_DEV_KEY=abc\nKEY_PROVIDER=local-dev\nSEMENTE_ISOLATED_DEV=true\nLOG_LEVEL=debug\n");
    const env = upEnvironment({ SEMENTE_DEV_KEY_FILE: file, LOG_LEVEL: "warn" });
    expect(env).toEqual({
      SEMENTE_DEV_KEY_FILE: file,
      LOG_LEVEL: "warn",
      KEY_PROVIDER: "local-dev",
      SEMENTE_ISOLATED_DEV: "true",
    });
    expect(upEnvironment({ SEMENTE_DEV_KEY_FILE: file, CI: "true" })).toEqual({
      SEMENTE_DEV_KEY_FILE: file,
      CI: "true",
    });
    expect(upEnvironment({ SEMENTE_DEV_KEY_FILE: join(cwd, "missing") }).KEY_PROVIDER).toBeUndefined();
  });

  test("up - the cause is read from the fatal line; other logs give none", () => {
    const fatal = JSON.stringify({
      level: "fatal",
      code: "CONFIG_INVALID",
      variables: [{ variable: "NATS_URL", problem: "server 2 is not a valid URL" }],
    });
    expect(startupCause(`{"level":"info"}\nnot json {\n${fatal}\n`)).toEqual({
      code: "CONFIG_INVALID",
      text: "NATS_URL: server 2 is not a valid URL",
    });
    expect(startupCause('{"level":"fatal","code":"UNAVAILABLE","reason":"NATS broker unreachable"}')).toEqual({
      code: "UNAVAILABLE",
      text: "NATS broker unreachable",
    });
    expect(startupCause("plain text\n{broken")).toBeNull();
  });
});
