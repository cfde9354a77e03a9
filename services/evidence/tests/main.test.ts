import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureRunEventsStream, publishRunEvent } from "@semente/platform/bus";
import { getRun } from "@semente/platform/runs";
import { insertEndedRun } from "../../../packages/platform/tests/evidence/utils.ts";
import { createTestDatabase, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";

const MAIN = join(import.meta.dir, "../src/main.ts");
let db: TestDatabase;
let nats: TestNats;
const dir = mkdtempSync(join(tmpdir(), "semente-evidence-main-"));
const keyFile = join(dir, ".env.local");
writeFileSync(keyFile, `SEMENTE_DEV_KEY=${"44".repeat(32)}\n`);

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase("evidence_main"), createTestNats("evidence_main")]);
});
afterAll(async () => {
  await nats.cleanup();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

function env(port: number, wormDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    CI: "",
    SEMENTE_ENV_FILE: join(dir, "absent.env"),
    SEMENTE_APP_DATABASE_URL: db.urls.app,
    NATS_URL: nats.url,
    SEMENTE_ENV: "dev",
    EVIDENCE_HEALTH_PORT: String(port),
    EVIDENCE_WORM_DIR: wormDir,
    CONTROL_NATS_NAME_PREFIX: nats.prefix,
    CONTROL_NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    KEY_PROVIDER: "local-dev",
    SEMENTE_ISOLATED_DEV: "true",
    SEMENTE_DEV_KEY_FILE: keyFile,
    LOG_LEVEL: "error",
  };
}

async function until(check: () => Promise<boolean>, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await Bun.sleep(100);
  }
  throw new Error("condition not met in time");
}

describe("evidence main", () => {
  test("main - consumes a completed event, serves health, and stops cleanly on SIGTERM", async () => {
    const port = freePort();
    const proc = Bun.spawn(["bun", MAIN], { env: env(port, join(dir, "worm")), stdout: "pipe", stderr: "pipe" });
    try {
      await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200);
      const events = { streamName: `${nats.prefix}SEED_RUNS`, subjectPrefix: nats.subjectPrefix };
      await ensureRunEventsStream(nats.jsm, events);
      const { runId } = await insertEndedRun(db.adminSql);
      const run = await getRun(db.appSql, runId);
      if (run === null) throw new Error("run missing");
      await publishRunEvent(nats.js, run, "completed", events);
      await until(async () => {
        const rows = await db.adminSql`select count(*)::int as n from seed.evidence_index where run_id = ${runId}`;
        return rows[0]?.n === 1;
      });
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await proc.exited).toBe(0);
  }, 20_000);

  test("main - refuses to start without usable WORM storage (exit 1, WORM_UNAVAILABLE)", async () => {
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "x");
    const proc = Bun.spawn(["bun", MAIN], { env: env(freePort(), join(file, "worm")), stdout: "pipe", stderr: "pipe" });
    expect(await proc.exited).toBe(1);
    expect(await new Response(proc.stderr).text()).toContain("WORM_UNAVAILABLE");
  }, 20_000);
});
