import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintToken, type Role, resolveAuthKeys } from "@semente/platform/auth";
import type { Manifest } from "@semente/core/manifest";
import { corruptRestoredLoan } from "../../../packages/platform/tests/lifecycle/drill-utils.ts";
import { startS3Server, type S3TestServer } from "../../../packages/platform/tests/evidence/s3-server.ts";
import { profile, smallManifest } from "../../../packages/core/tests/factories/utils.ts";
import { startOtlpReceiver, type OtlpReceiver } from "../../../packages/platform/tests/telemetry/otlp-receiver.ts";
import { cli, counts, createE2eInfra, type E2eInfra, lastJson, type Stack, startStack } from "./e2e-utils.ts";

// The canonical DR profile (staging/banco-beta; R6.10: DR runs in staging) with small counts and
// an always-open window, on a stack deployed as staging: S3 Object Lock evidence, an OTLP collector.
const TENANT = "banco-beta";
let infra: E2eInfra;
let s3: S3TestServer;
let receiver: OtlpReceiver;
let stack: Stack;
const dir = mkdtempSync(join(tmpdir(), "semente-e2e-dr-"));

function write(name: string, manifest: Manifest): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(manifest));
  return path;
}

const DRILL = write(
  "banco-beta-dr.json",
  smallManifest(profile("staging", TENANT), { batch_size: 50, window: { start_utc: "00:00", end_utc: "23:59" } }),
);

async function tokenFor(roles: Role[]): Promise<string> {
  return mintToken(resolveAuthKeys({ env: infra.env }), {
    subject: "e2e-drill",
    roles,
    tenants: [TENANT],
    environments: ["staging"],
    ttlSeconds: 3_600,
    issuedAt: Math.floor(Date.now() / 1000),
  });
}

async function as(roles: Role[], args: string[]) {
  const saved = stack.cliEnv.SEMENTE_TOKEN;
  stack.cliEnv.SEMENTE_TOKEN = await tokenFor(roles);
  try {
    return await cli(stack, args, 120_000);
  } finally {
    stack.cliEnv.SEMENTE_TOKEN = saved as string;
  }
}

interface DrillJson {
  run: { id: string; state: string; reason: { code: string } | null };
  dr: { rto_seconds: number | null; rpo_seconds: number | null; targets: { rto_seconds: number } } | null;
  checklist: { id: string; status: string }[];
  signature_key_id: string;
}

beforeAll(async () => {
  infra = await createE2eInfra([]);
  infra.vault.createKey(`semente-fpe-staging-${TENANT}`);
  infra.vault.createKey("semente-evidence-staging", "ed25519");
  s3 = await startS3Server();
  receiver = startOtlpReceiver();
  stack = await startStack(infra, "e2e_dr_drill", 2, {
    evidence: true,
    env: {
      SEMENTE_ENV: "staging",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      EVIDENCE_WORM_BACKEND: "s3",
      EVIDENCE_S3_BUCKET: s3.bucket,
      EVIDENCE_S3_ENDPOINT: s3.url,
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      AWS_REGION: "us-east-1",
    },
  });
  stack.cliEnv.SEMENTE_DR_EVIDENCE_WAIT_S = "60";
  stack.cliEnv.SEMENTE_EVIDENCE_WAIT_S = "0";
  const seeded = await as(["admin"], ["seed", "--profile", DRILL, "--follow", "--json"]);
  if (seeded.code !== 0) throw new Error(`seeding the DR dataset failed: ${seeded.stderr}`);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  receiver?.stop();
  await s3?.stop();
  await infra?.cleanup();
});

describe("e2e: semente dr drill on a staging stack", () => {
  test("dr drill - the DR profile's drill passes: RTO/RPO in the signed report, which `evidence verify` accepts", async () => {
    const before = await counts(stack, TENANT);
    const drill = await as(["admin"], ["dr", "drill", "--profile", DRILL]);
    if (drill.code !== 0) console.error(drill.stdout, drill.stderr);
    expect(drill.code).toBe(0);
    expect(drill.stdout).toMatch(/RTO {10}[\d.]+ s \(target 3600 s\)/);
    expect(drill.stdout).toContain("RPO          0 s (target 300 s): 0 s: every one of the");
    expect(drill.stdout).toMatch(
      /verified {5}\S+ \(\d+ rows compared value by value as semente_verifier, 0 difference\(s\)\)/,
    );
    expect(drill.stdout).toMatch(/checklist .*dataset pass.*dr pass/);
    expect(drill.stdout).toMatch(/signature {4}ok \(key vault-transit:transit\/semente-evidence-staging:v1\)/);
    expect(await counts(stack, TENANT)).toEqual(before);
    const runId = /run {10}([0-9a-f-]{36}) \(completed\)/.exec(drill.stdout)?.[1] as string;
    const [stored] = await stack.db.adminSql<{ location: string }[]>`
      select location from seed.evidence_index where run_id = ${runId}`;
    expect(stored?.location).toStartWith(`s3://${s3.bucket}/`);
    const verified = await as(["read"], ["evidence", "verify", runId, "--json"]);
    if (verified.code !== 0) console.error(verified.stdout, verified.stderr);
    expect(verified.code).toBe(0);
    expect(lastJson<{ valid: boolean; rows_compared: number }>(verified.stdout)).toMatchObject({ valid: true });
    // The drill record changed after signing: evidence verify refuses the report.
    await stack.db.adminSql`update seed.dr_drills set loss_at = loss_at - interval '1 hour' where run_id = ${runId}`;
    const tampered = await as(["read"], ["evidence", "verify", runId]);
    expect(tampered.code).toBe(6);
    expect(tampered.stderr).toContain("DR drill mismatch");
  }, 180_000);

  test("dr drill - a row corrupted on its way back (a superuser's trigger) fails verification: exit 6, dr item fail", async () => {
    const uncorrupt = await corruptRestoredLoan(stack.db.adminSql, TENANT);
    try {
      const drill = await as(["admin"], ["dr", "drill", "--profile", DRILL, "--json"]);
      expect(drill.code).toBe(6);
      expect(drill.stderr).toContain("DATASET_MISMATCH");
      const out = lastJson<DrillJson>(drill.stdout);
      expect(out.run.state).toBe("failed");
      expect(out.dr?.rto_seconds).toBeNull();
      expect(out.checklist.find((c) => c.id === "dr")?.status).toBe("fail");
    } finally {
      await uncorrupt();
    }
  }, 180_000);

  test("dr drill - kill -9 of a seeder while the drill regenerates: the drill completes and passes", async () => {
    const drilling = as(["admin"], ["dr", "drill", "--profile", DRILL, "--json"]);
    let phase = "";
    for (let i = 0; i < 1200 && phase !== "regenerating"; i++) {
      const [row] = await stack.db.adminSql<{ phase: string }[]>`
        select case when r.purged_at is not null and r.rows_written > 0 then 'regenerating' else r.state end as phase
          from seed.runs r where r.operation = 'dr_drill' order by r.created_at desc limit 1`;
      phase = row?.phase ?? "";
      await Bun.sleep(25);
    }
    expect(phase).toBe("regenerating");
    const victim = stack.seeders[0];
    victim?.kill("SIGKILL");
    await victim?.exited;
    await stack.startSeeder();
    const drill = await drilling;
    if (drill.code !== 0) console.error(drill.stdout, drill.stderr);
    expect(drill.code).toBe(0);
    const out = lastJson<DrillJson>(drill.stdout);
    expect(out.run.state).toBe("completed");
    expect(out.dr?.rpo_seconds).toBe(0);
    expect(out.checklist.find((c) => c.id === "dr")?.status).toBe("pass");
  }, 180_000);

  test("dr drill - refusals: a seed-runner token exits 7, a non-DR manifest exits 4; nothing is deleted", async () => {
    const before = await counts(stack, TENANT);
    const runner = await as(["seed-runner"], ["dr", "drill", "--profile", DRILL]);
    expect(runner.code).toBe(7);
    expect(runner.stderr).toContain("FORBIDDEN");
    const base = profile("staging", "banco-alfa");
    const load = write(
      "banco-beta-load.json",
      smallManifest(base, {
        metadata: { ...base.metadata, tenant: TENANT },
        window: { start_utc: "00:00", end_utc: "23:59" },
      }),
    );
    const notDr = await as(["admin"], ["dr", "drill", "--profile", load]);
    expect(notDr.code).toBe(4);
    expect(notDr.stderr).toContain("MODE_NOT_ALLOWED");
    const usage = await as(["admin"], ["dr", "rehearse", "--profile", DRILL]);
    expect(usage.code).toBe(2);
    expect(await counts(stack, TENANT)).toEqual(before);
  }, 120_000);
});
