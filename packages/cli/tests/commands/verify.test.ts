import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createEvidenceService, createFsWormStore, evidenceJwks } from "@semente/platform/evidence";
import { createLocalDevKeyProvider } from "@semente/platform/keys";
import { parseManifest } from "@semente/core/manifest";
import { quietLog } from "../../../platform/tests/evidence/utils.ts";
import { createTestDatabase, type TestDatabase } from "../../../platform/tests/harness.ts";
import { seedCompletedRun } from "../../../platform/tests/verify/seeded-run.ts";
import { localDevEnv, runCli } from "../utils.ts";

// The acceptance of issue 9 on real PostgreSQL and real CLI processes: seed the dev baseline through
// the seeder's writer, produce its signed report, then tamper with rows as a superuser.
const ENTRY = resolve(import.meta.dir, "verify-entry.ts");
const PROFILE = resolve(import.meta.dir, "../../../../configs/seed_profiles/dev/banco-alfa.yaml");
const dir = mkdtempSync(join(tmpdir(), "semente-cli-verify-"));
const keyFile = join(dir, ".env.local");
writeFileSync(keyFile, `SEMENTE_DEV_KEY=${"66".repeat(32)}\n`);
const keys = createLocalDevKeyProvider({ environment: "dev", isolatedDev: true, envLocalPath: keyFile, env: {} });
const manifest = parseManifest(readFileSync(PROFILE, "utf8")).manifest;
let db: TestDatabase;
let runId: string;
let recorded: string;
let reportDigest: string | null;

beforeAll(async () => {
  db = await createTestDatabase("cli_verify");
  ({ runId, digest: recorded } = await seedCompletedRun(db, manifest, keys));
  const result = await createEvidenceService({
    sql: db.appSql,
    store: createFsWormStore({ dir: join(dir, "worm") }),
    keys,
    log: quietLog(),
  }).produce(runId);
  if (result.status !== "stored") throw new Error("expected a stored report");
  const envelope = result.envelope as { payload: string };
  reportDigest = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")).dataset.digest;
  writeFileSync(join(dir, "report.json"), readFileSync(new URL(result.entry.location)));
  writeFileSync(join(dir, "jwks.json"), JSON.stringify(await evidenceJwks(db.appSql)));
}, 60_000);
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const semente = (args: string[]) => runCli(ENTRY, args, localDevEnv(db.urls, keyFile));

const both = () => Promise.all([semente(["verify", "--profile", PROFILE]), semente(["evidence", "verify", runId])]);

describe("verify and evidence verify read the rows", () => {
  test("the report's dataset digest equals the run's recorded digest; both commands exit 0", async () => {
    expect(reportDigest).toBe(recorded);
    const [verify, evidence] = await both();
    expect(verify.stderr).toBe("");
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain("compared value by value (every row); 0 difference(s)");
    expect(evidence.stderr).toBe("");
    expect(evidence.code).toBe(0);
    expect(evidence.stdout).toContain(`evidence of run ${runId}: valid`);
    expect(evidence.stdout).toContain("compared value by value (every row)");
  }, 60_000);

  test("one value altered as superuser: both exit 6 naming entity and column, never the value; restored: both 0", async () => {
    const [row] = await db.adminSql<{ id: string; email: string }[]>`
      select id, email from banking.customers order by id limit 1`;
    const original = row?.email as string;
    await db.adminSql`update banking.customers set email = 'intruder@example.org' where id = ${row?.id as string}`;
    try {
      for (const result of await both()) {
        expect(result.code).toBe(6);
        expect(result.stderr).toContain("DATASET_MISMATCH");
        expect(result.stderr).toMatch(/customers ordinal \d+: column email differs/);
        expect(result.stderr + result.stdout).not.toContain("intruder");
        expect(result.stderr + result.stdout).not.toContain(original);
      }
    } finally {
      await db.adminSql`update banking.customers set email = ${original} where id = ${row?.id as string}`;
    }
    for (const result of await both()) expect(result.code).toBe(0);
  }, 60_000);

  test("a deleted row and an added row are detected by both", async () => {
    const [row] = await db.adminSql`select * from banking.financial_transactions order by id limit 1`;
    const copy = { ...(row as Record<string, unknown>) };
    await db.adminSql`delete from banking.financial_transactions where id = ${copy.id as string}`;
    try {
      for (const result of await both()) {
        expect(result.code).toBe(6);
        expect(result.stderr).toMatch(/financial_transactions ordinal \d+: row missing/);
      }
    } finally {
      await db.adminSql`insert into banking.financial_transactions ${db.adminSql(copy)}`;
    }
    const extra = "00000000-0000-4000-8000-0000000000ee";
    await db.adminSql`insert into banking.financial_transactions ${db.adminSql({ ...copy, id: extra, end_to_end_id: "E00000000202401010000EXTRA000001" })}`;
    try {
      for (const result of await both()) {
        expect(result.code).toBe(6);
        expect(result.stderr).toContain(`financial_transactions id ${extra}: row not in the manifest`);
      }
    } finally {
      await db.adminSql`delete from banking.financial_transactions where id = ${extra}`;
    }
  }, 90_000);

  test("--sample verifies a deterministic fraction and says so", async () => {
    const result = await semente(["verify", "--profile", PROFILE, "--sample", "0.05"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("a deterministic sample of 0.05 of the rows");
    expect(result.stdout).toContain("verified: the sampled rows (fraction 0.05)");
    const bad = await semente(["verify", "--profile", PROFILE, "--sample", "2"]);
    expect(bad.code).toBe(2);
  }, 60_000);

  test("evidence verify --public-key <jwks> verifies offline with the published keys", async () => {
    const ok = await semente([
      "evidence",
      "verify",
      join(dir, "report.json"),
      "--public-key",
      join(dir, "jwks.json"),
      "--offline",
    ]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    writeFileSync(join(dir, "empty-jwks.json"), JSON.stringify({ keys: [] }));
    const none = await semente([
      "evidence",
      "verify",
      join(dir, "report.json"),
      "--public-key",
      join(dir, "empty-jwks.json"),
      "--offline",
    ]);
    expect(none.code).toBe(6);
  }, 60_000);
});
