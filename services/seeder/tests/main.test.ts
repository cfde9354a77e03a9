import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type BatchMessage, batchMsgId, type CheckpointMessage, encodeMessage } from "@semente/core/pipeline";
import { ensurePipelineStreams, type PipelineNames } from "@semente/platform/pipeline";
import { createTestDatabase, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import type { VaultTestServer } from "../../../packages/platform/tests/keys/vault-server.ts";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";
import {
  batchMessages,
  checkpointCount,
  insertRun,
  startTestVault,
  writerManifest,
} from "../../../packages/platform/tests/pipeline/writer-fixtures.ts";
import { collect } from "./utils.ts";

let db: TestDatabase;
let nats: TestNats;
let vault: VaultTestServer;
let names: PipelineNames;

beforeAll(async () => {
  db = await createTestDatabase("seeder_main");
  nats = await createTestNats("seeder_main");
  ({ vault } = startTestVault(["banco-alfa"]));
  names = await ensurePipelineStreams(nats.jsm, { namePrefix: nats.prefix, subjectPrefix: nats.subjectPrefix });
});
afterAll(async () => {
  await nats?.cleanup();
  await db?.drop();
  await vault?.stop();
});

/** Reads JSON log lines from the child's stdout and resolves when one matches. */
function watchLines(stream: ReadableStream<Uint8Array>) {
  const lines: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] =
    [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of stream) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf("\n");
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // Not a log line (e.g. a runtime banner): the test only reads structured lines.
          continue;
        }
        lines.push(line);
        for (const w of waiters) if (w.match(line)) w.resolve(line);
      }
    }
  })();
  return {
    lines,
    /** Settles when the child's stdout closes. */
    reading,
    wait(
      match: (l: Record<string, unknown>) => boolean,
      timeoutMs = 15_000,
    ): Promise<Record<string, unknown> | undefined> {
      const found = lines.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => {
        waiters.push({ match, resolve });
        setTimeout(() => resolve(undefined), timeoutMs);
      });
    },
  };
}

describe("seeder process", () => {
  test("seeder - the real process serves health, commits a batch, and exits 0 on SIGTERM", async () => {
    const child = Bun.spawn(["bun", join(import.meta.dir, "../src/main.ts")], {
      env: {
        ...process.env,
        SEMENTE_ENV_FILE: "/nonexistent/.env",
        SEMENTE_SEEDER_DATABASE_URL: db.urls.seeder,
        NATS_URL: nats.url,
        HEALTH_PORT: "0",
        SEEDER_MODES: "baseline",
        PIPELINE_NATS_NAME_PREFIX: nats.prefix,
        PIPELINE_NATS_SUBJECT_PREFIX: nats.subjectPrefix,
        KEY_PROVIDER: "vault-transit",
        VAULT_ADDR: vault.url,
        VAULT_TOKEN: vault.token,
        LOG_LEVEL: "info",
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = watchLines(child.stdout);
    try {
      const started = await out.wait((l) => l.msg === "seeder started");
      expect(started).toBeDefined();
      expect(started?.service).toBe("seeder");
      const port = Number(started?.health_port);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: "ready",
        checks: { postgres: "ok", nats: "ok", pulling: "ok" },
      });

      const manifest = writerManifest("banco-alfa");
      const runId = await insertRun(db.ownerSql, manifest);
      const msg = batchMessages(runId, manifest)[0] as BatchMessage;
      const checkpoints = collect<CheckpointMessage>(nats.nc, names.checkpointSubject(runId));
      await nats.js.publish(names.batchSubject(msg), encodeMessage(msg), { msgID: batchMsgId(msg) });
      const [cp] = await checkpoints.until(1);
      expect(cp).toMatchObject({ runId, entity: msg.entity, batchIndex: msg.batchIndex, duplicate: false });
      expect(await checkpointCount(db.adminSql, runId)).toBe(1);
      const done = await out.wait((l) => l.msg === "batch done");
      expect(done).toMatchObject({ run: runId, tenant: "banco-alfa", environment: "dev" });
      checkpoints.sub.unsubscribe();
    } finally {
      child.kill("SIGTERM");
    }
    expect(await child.exited).toBe(0);
    expect(await out.wait((l) => l.msg === "seeder stopped", 2_000)).toBeDefined();
  });
});
