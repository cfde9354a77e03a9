import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createEvidenceService, createFsWormStore, type EvidenceIndexEntry } from "@semente/platform/evidence";
import { createLocalDevKeyProvider } from "@semente/platform/keys";
import { devManifest, quietLog } from "../../../platform/tests/evidence/utils.ts";
import { createTestDatabase, type TestDatabase } from "../../../platform/tests/harness.ts";
import { seedCompletedRun } from "../../../platform/tests/verify/seeded-run.ts";
import { localDevEnv, runCli } from "../utils.ts";

const ENTRY = resolve(import.meta.dir, "evidence-entry.ts");
const dir = mkdtempSync(join(tmpdir(), "semente-cli-evidence-"));
const keyFile = join(dir, ".env.local");
writeFileSync(keyFile, `SEMENTE_DEV_KEY=${"55".repeat(32)}\n`);
const keys = createLocalDevKeyProvider({ environment: "dev", isolatedDev: true, envLocalPath: keyFile, env: {} });
let db: TestDatabase;
let entry: EvidenceIndexEntry;
let runId: string;

beforeAll(async () => {
  db = await createTestDatabase("cli_evidence");
  // A real seeded run: evidence verify re-reads its rows.
  ({ runId } = await seedCompletedRun(db, devManifest().manifest, keys));
  const service = createEvidenceService({
    sql: db.appSql,
    store: createFsWormStore({ dir: join(dir, "worm") }),
    keys,
    log: quietLog(),
  });
  const result = await service.produce(runId);
  if (result.status !== "stored") throw new Error("expected a stored report");
  entry = result.entry;
}, 60_000);
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const semente = (args: string[]) => runCli(ENTRY, args, localDevEnv(db.urls, keyFile));

describe("evidence command", () => {
  test("evidence verify - a stored report verifies by file and by run id, digest recomputed", async () => {
    const byFile = await semente(["verify", fileURLToPath(entry.location)]);
    expect(byFile.code).toBe(0);
    expect(byFile.stdout).toContain(`evidence of run ${runId}: valid`);
    expect(byFile.stdout).toContain("(matches the index)");
    expect(byFile.stdout).toContain("recomputed from checkpoints and equal to the run's recorded digest");
    expect(byFile.stdout).toContain("compared value by value (every row); 0 difference(s)");
    const byRun = await semente(["verify", runId, "--json"]);
    expect(byRun.code).toBe(0);
    expect(JSON.parse(byRun.stdout)).toMatchObject({ run_id: runId, valid: true, sha256: entry.sha256, indexed: true });
  });

  test("evidence verify - a copy with one byte changed fails with a clear message and exit 6", async () => {
    const bytes = readFileSync(fileURLToPath(entry.location));
    const envelope = JSON.parse(bytes.toString("utf8")) as { payload: string };
    const payload = Buffer.from(envelope.payload, "base64");
    payload[60] = (payload[60] as number) ^ 0x01;
    const tampered = join(dir, "tampered.json");
    writeFileSync(tampered, JSON.stringify({ ...envelope, payload: payload.toString("base64") }));
    const result = await semente(["verify", tampered, "--offline"]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain("EVIDENCE_INVALID: signature verification failed");
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 5] = (flipped[flipped.length - 5] as number) ^ 0x01;
    const copy = join(dir, "flipped.json");
    writeFileSync(copy, flipped);
    const online = await semente(["verify", copy]);
    expect(online.code).toBe(6);
    expect(online.stderr).toContain("EVIDENCE_INVALID");
  });

  test("evidence verify - offline with an explicit public key; unknown runs and bad usage", async () => {
    const pem = join(dir, "public.pem");
    writeFileSync(pem, (await keys.publicKey({ environment: "dev", tenant: "banco-alfa" })).publicKeyPem);
    const offline = await semente(["verify", fileURLToPath(entry.location), "--offline", "--public-key", pem]);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain("not recomputed: --offline");
    const missing = await semente(["verify", crypto.randomUUID()]);
    expect(missing.code).toBe(9);
    expect(missing.stderr).toContain("NOT_FOUND");
    expect((await semente(["check", "x"])).code).toBe(2);
  });

  test("evidence verify - a checkpoint changed after the report fails the recomputed digest", async () => {
    await db.adminSql`update seed.checkpoints set digest = ${"e".repeat(64)} where run_id = ${runId} and entity = 'loans'`;
    const result = await semente(["verify", runId]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain("dataset digest mismatch");
  });
});
