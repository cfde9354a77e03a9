import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isSementeError } from "@semente/core/errors";
import {
  assertEvidenceReport,
  buildReport,
  createEvidenceService,
  createFsWormStore,
  type EvidenceReport,
  readCheckpoints,
  recomputeDatasetDigest,
  verifyEvidence,
} from "../../src/evidence/index.ts";
import {
  captureLoss,
  type DrillTargets,
  drillTargets,
  markRegenerated,
  purgeTenant,
  recordVerification,
  verifyDrill,
} from "../../src/lifecycle/index.ts";
import type { Manifest } from "@semente/core/manifest";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import type { VaultTestServer } from "../keys/vault-server.ts";
import { startTestVault } from "../pipeline/writer-fixtures.ts";
import { seedCompletedRun } from "../verify/seeded-run.ts";
import { quietLog } from "../evidence/utils.ts";
import { drillRun, drManifest, providerContext, writeAll } from "./drill-utils.ts";
import type { KeyProvider } from "../../src/keys/index.ts";

let db: TestDatabase;
let vault: VaultTestServer;
let keys: KeyProvider;

beforeAll(async () => {
  db = await createTestDatabase("lifecycle_drill");
  ({ vault, keys } = startTestVault(["banco-beta"], "staging"));
}, 60_000);
afterAll(async () => {
  await vault.stop();
  await db.drop();
});

/** Captures the loss of drill run `runId` of banco-beta in staging. */
function capture(runId: string, targets: DrillTargets) {
  const ref = { runId, tenantId: "banco-beta", environment: "staging", mode: "dr" };
  return captureLoss({ ...ref, sql: db.appSql, verifierSql: db.verifierSql, targets });
}

/** Seeds the DR dataset, then runs a drill up to its regeneration; `beforeVerify` may tamper. */
async function drillUpToVerification(manifest: Manifest, beforeVerify?: () => Promise<void>) {
  await seedCompletedRun(db, manifest, keys);
  const runId = await drillRun(db, manifest);
  const ref = { runId, tenantId: "banco-beta", environment: "staging", mode: "dr" };
  const loss = await capture(runId, drillTargets(manifest));
  const purged = await purgeTenant({ ...ref, sql: db.seederSql });
  await writeAll(db, runId, manifest, keys);
  await markRegenerated(db.appSql, runId);
  await beforeVerify?.();
  const verification = await verifyDrill({
    verifierSql: db.verifierSql,
    runId,
    manifest,
    ctx: await providerContext(manifest, keys),
  });
  const facts = await recordVerification(db.appSql, runId, verification);
  const digest = recomputeDatasetDigest(await readCheckpoints(db.appSql, { id: runId, tenantId: "banco-beta" }));
  await db.adminSql`
    update seed.runs set state = 'completed', finished_at = now(), dataset_digest = ${digest?.slice(7) ?? null}
     where id = ${runId}`;
  const report = await buildReport({ sql: db.appSql, runId });
  return { runId, loss, facts, report, purged };
}

const drItem = (report: EvidenceReport) => report.checklist.find((c) => c.id === "dr");

async function clearTenant(): Promise<void> {
  for (const t of ["contracts", "credit_limits", "financial_transactions", "installments", "loans", "bank_accounts"]) {
    await db.adminSql`delete from ${db.adminSql(`banking.${t}`)} where tenant_id = 'banco-beta'`;
  }
  for (const t of ["suppliers", "account_categories", "addresses", "customers", "consultants", "users", "tenants"]) {
    await db.adminSql`delete from ${db.adminSql(`banking.${t}`)} where tenant_id = 'banco-beta'`;
  }
  await db.adminSql`delete from seed.checkpoints where tenant_id = 'banco-beta'`;
}

describe("DR drill phases on a real database", () => {
  test("drill - seeded DR tenant: loss captured, purged, regenerated, verified; RPO 0 s and the dr item passes", async () => {
    const manifest = drManifest();
    const { runId, loss, facts, report, purged } = await drillUpToVerification(manifest);
    expect(loss.acknowledged.length).toBeGreaterThan(10);
    expect(loss.rowsAtLoss).toBe(purged.rowsDeleted - purged.deleted.checkpoints);
    expect(loss.unexplainedRows).toBe(0);
    expect(facts.verification).toMatchObject({ ok: true, role: "semente_verifier", differences: 0 });
    expect(facts.verification?.rowsCompared).toBe(loss.rowsAtLoss);
    expect(report.dr?.rpo_seconds).toBe(0);
    expect(report.dr?.rto_seconds).toBe((facts.verifiedAt!.getTime() - facts.lossAt.getTime()) / 1000);
    // What was lost and what was regenerated are the same dataset.
    expect(report.dr?.acknowledged_digest).toBe(report.dataset.digest);
    expect(report.dr?.targets).toEqual({ rto_seconds: 3600, rpo_seconds: 300 });
    expect(drItem(report)?.status).toBe("pass");
    expect(() => assertEvidenceReport(report)).not.toThrow();
    // The loss is captured once: a planner resuming the drill keeps the first instant.
    const again = await capture(runId, { rtoSeconds: 1, rpoSeconds: 0 });
    expect(again.lossAt).toEqual(loss.lossAt);
    expect(again.targets).toEqual({ rtoSeconds: 3600, rpoSeconds: 300 });
    await clearTenant();
  }, 120_000);

  test("drill - a row changed by a superuser between regeneration and verification fails verification and the dr item", async () => {
    const manifest = drManifest();
    const { report } = await drillUpToVerification(manifest, async () => {
      await db.adminSql`
        update banking.loans set principal = principal + 1
         where id = (select id from banking.loans where tenant_id = 'banco-beta' order by id limit 1)`;
    });
    expect(report.dr?.verification).toMatchObject({ ok: false, differences: 1 });
    expect(report.dr?.verification?.first_differences[0]).toMatch(/^loans ordinal \d+: column principal differs$/);
    expect(report.dr?.rto_seconds).toBeNull();
    expect(report.dr?.rpo_seconds).toBeNull();
    const item = drItem(report);
    expect(item?.status).toBe("fail");
    expect(item?.summary).toContain("verification failed: 1 row difference(s)");
    expect(() => assertEvidenceReport(report)).not.toThrow();
    await clearTenant();
  }, 120_000);

  test("drill - rows outside any checkpoint at the loss make the RPO unbounded; tighter manifest targets are recorded", async () => {
    const manifest = drManifest({ dr_targets: { rto_seconds: 900, rpo_seconds: 60 } });
    await seedCompletedRun(db, manifest, keys);
    await db.adminSql`delete from seed.checkpoints where tenant_id = 'banco-beta' and entity = 'contracts'`;
    const runId = await drillRun(db, manifest);
    const loss = await capture(runId, drillTargets(manifest));
    expect(loss.unexplainedRows).toBe(manifest.volumetry.contracts.count);
    expect(loss.targets).toEqual({ rtoSeconds: 900, rpoSeconds: 60 });
    await clearTenant();
  }, 120_000);

  test("drill - a signed-report consistency: a passing dr item with RTO over target or a forged RTO is refused by the schema", async () => {
    const manifest = drManifest();
    const { report } = await drillUpToVerification(manifest);
    const forged = structuredClone(report);
    (forged.dr as { rto_seconds: number }).rto_seconds = 1;
    expect(schemaIssues(forged)).toContain("/dr/rto_seconds: differs from verified_at - loss_at");
    const over = structuredClone(report);
    (over.dr as { targets: { rto_seconds: number; rpo_seconds: number } }).targets = { rto_seconds: 0, rpo_seconds: 0 };
    expect(schemaIssues(over)).toContain(
      "/dr: the 'dr' item passes but the section shows no verified RTO/RPO within target",
    );
    const stripped = structuredClone(report);
    delete stripped.dr;
    expect(schemaIssues(stripped)).toContain("/dr: a DR drill's report must hold its 'dr' section");
    stripped.run.operation = "reseed";
    expect(schemaIssues(stripped)).toContain("/checklist: a 'dr' item without the 'dr' section");
    const itemless = structuredClone(report);
    itemless.checklist = itemless.checklist.filter((c) => c.id !== "dr");
    expect(schemaIssues(itemless)).toContain("/checklist: a drill report must hold exactly one 'dr' item");
    await clearTenant();
  }, 120_000);

  test("drill - the signed report verifies, and a drill record changed afterwards is caught by verifyEvidence", async () => {
    vault.createKey("semente-evidence-staging", "ed25519");
    const manifest = drManifest();
    const { runId } = await drillUpToVerification(manifest);
    const service = createEvidenceService({
      sql: db.appSql,
      store: createFsWormStore({ dir: mkdtempSync(join(tmpdir(), "semente-drill-worm-")) }),
      keys,
      log: quietLog(),
    });
    const stored = await service.produce(runId);
    if (stored.status !== "stored") throw new Error(stored.status);
    const bytes = new Uint8Array(readFileSync(fileURLToPath(stored.entry.location)));
    const publicKey = await keys.publicKey({ environment: "staging", tenant: "banco-beta" });
    const ok = await verifyEvidence({ bytes, publicKey, index: stored.entry, sql: db.appSql });
    expect(ok.report.dr?.rpo_seconds).toBe(0);
    await db.adminSql`update seed.dr_drills set verified_at = verified_at + interval '1 hour' where run_id = ${runId}`;
    let refused: unknown;
    try {
      await verifyEvidence({ bytes, publicKey, index: stored.entry, sql: db.appSql });
    } catch (error) {
      refused = error;
    }
    expect(isSementeError(refused) && refused.code).toBe("EVIDENCE_INVALID");
    expect((refused as Error).message).toContain("DR drill mismatch");
    await clearTenant();
  }, 120_000);
});

function schemaIssues(report: unknown): string[] {
  try {
    assertEvidenceReport(report);
    return [];
  } catch (error) {
    if (!isSementeError(error)) throw error;
    return (error.errors ?? []).map((e) => `${e.pointer}: ${e.message}`);
  }
}
