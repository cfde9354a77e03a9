import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { createTestDatabase, type TestDatabase } from "../../../platform/tests/harness.ts";
import { createTestNats, type TestNats } from "../../../platform/tests/nats-harness.ts";
import { runCli } from "../utils.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const ROOT = resolve(import.meta.dir, "../../../..");
const DEV = resolve(ROOT, "configs/seed_profiles/dev/banco-alfa.yaml");
const STAGING = resolve(ROOT, "configs/seed_profiles/staging/banco-alfa.yaml");

let db: TestDatabase;
let nats: TestNats;

beforeAll(async () => {
  db = await createTestDatabase("cli_seed_direct");
  nats = await createTestNats("cli_direct");
});
afterAll(async () => {
  await nats.cleanup();
  await db.drop();
});

/** An isolated dev machine's environment, with `overrides` applied (a value of `undefined` unsets). */
function direct(profile: string, overrides: Record<string, string | undefined> = {}) {
  const env: Record<string, string | undefined> = {
    SEMENTE_APP_DATABASE_URL: db.urls.app,
    SEMENTE_DEV_KEY_FILE: "/nonexistent/.env.local",
    NATS_URL: nats.url,
    CONTROL_NATS_NAME_PREFIX: nats.prefix,
    CONTROL_NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    SEMENTE_ENV: "dev",
    SEMENTE_ISOLATED_DEV: "true",
    ...overrides,
  };
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return runCli(MAIN, ["seed", "--profile", profile, "--direct", "--dry-run"], defined);
}

async function runCount(): Promise<number> {
  const [row] = await db.adminSql<{ n: number }[]>`select count(*)::int as n from seed.runs`;
  return row?.n ?? 0;
}

describe("seed --direct (isolated dev only)", () => {
  test.each([
    ["CI is set", DEV, { CI: "true" }, "CI is set"],
    ["the isolated-dev flag is missing", DEV, { SEMENTE_ISOLATED_DEV: undefined }, "SEMENTE_ISOLATED_DEV is not true"],
    ["SEMENTE_ENV is staging", STAGING, { SEMENTE_ENV: "staging" }, "environment is staging, not dev"],
    ["the manifest is for staging", STAGING, {}, "the manifest is for staging, SEMENTE_ENV is dev"],
  ] as const)("seed --direct - refused when %s: exit 4, one line, nothing written", async (_, profile, overrides, why) => {
    const outcome = await direct(profile, overrides);
    expect(outcome.code).toBe(4);
    expect(outcome.stdout).toBe("");
    const lines = outcome.stderr.trimEnd().split("\n");
    expect(lines.length).toBe(1);
    expect(lines[0]).toStartWith("semente: DIRECT_NOT_ALLOWED: --direct is allowed only in isolated dev");
    expect(lines[0]).toContain(why);
    expect(await runCount()).toBe(0);
  });

  test("seed --direct - in isolated dev the run is created and admitted without a gateway", async () => {
    const outcome = await direct(DEV, { CI: "" });
    expect(outcome.stderr).toContain("submitted run");
    expect(outcome.code).toBe(0);
    const id = outcome.stdout.trim();
    const [run] = await db.adminSql<{ state: string; environment: string; principal: string }[]>`
      select state, environment, principal from seed.runs where id = ${id}`;
    expect(run?.environment).toBe("dev");
    expect(run?.state).toBe("admitted");
    expect(run?.principal).toStartWith("cli-");
  });
});
