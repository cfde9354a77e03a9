import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEvidenceService, createFsWormStore, verifyEvidence } from "@semente/platform/evidence";
import { tenantDatasets } from "@semente/platform/lifecycle";
import { loadCostModel } from "@semente/platform/config";
import type { Manifest } from "@semente/core/manifest";
import { snapshotTenant } from "../../../packages/platform/tests/lifecycle/utils.ts";
import type { Planner } from "../src/planner.ts";
import { startRetentionJob } from "../src/retention.ts";
import {
  admittedRun,
  bankingCounts,
  createPlannerTestEnv,
  type PlannerTestEnv,
  profile,
  quietLog,
  smallManifest,
  startInProcessSeeder,
  startTestPlanner,
  waitForRun,
} from "./utils.ts";

const OLD = "ttl-antigo";
const NEW = "ttl-novo";
const DAY = 86_400_000;
const ENDED = (s: string) => ["completed", "failed", "aborted", "cancelled"].includes(s);

let env: PlannerTestEnv;
let planner: Planner;

beforeAll(async () => {
  env = await createPlannerTestEnv("planner_ttl", []);
  for (const tenant of [OLD, NEW]) env.vault.createKey(`semente-fpe-staging-${tenant}`);
  env.vault.createKey("semente-evidence-staging", "ed25519");
  planner = await startTestPlanner(env, 2);
});
afterAll(async () => {
  await planner.stop();
  await env.cleanup();
});

/** The staging load profile, small, for `tenant`, kept `ttl` after it completes; its window always open. */
function loadManifest(tenant: string, ttl: string): Manifest {
  const base = profile("staging", "banco-alfa");
  return smallManifest(base, {
    metadata: { ...base.metadata, tenant },
    batch_size: 100,
    ttl: { ...base.ttl, load: ttl },
    window: { start_utc: "00:00", end_utc: "23:59" },
  });
}

async function checkpointsOf(tenant: string, mode: string): Promise<number> {
  const [row] = await env.db.adminSql<{ n: number }[]>`
    select count(*)::int as n from seed.checkpoints where tenant_id = ${tenant} and mode = ${mode}`;
  return row?.n ?? 0;
}

describe("planner - TTL clean-up of expired datasets (R6.6)", () => {
  test("ttl - the job purges the expired load dataset as a purge run with signed evidence and its checkpoints; the unexpired one is kept", async () => {
    const seeder = startInProcessSeeder(env, planner.names);
    let stop: (() => void) | undefined;
    try {
      for (const [tenant, ttl] of [
        [OLD, "P1D"],
        [NEW, "P30D"],
      ] as const) {
        const run = await admittedRun(env.db.appSql, loadManifest(tenant, ttl));
        expect((await waitForRun(env.db.appSql, run.id, ENDED, 30_000)).state).toBe("completed");
      }
      const [seeded] = await tenantDatasets(env.db.appSql, OLD, "staging");
      expect(seeded).toMatchObject({ mode: "load", ttl: "P1D", closedAt: null });
      expect((seeded?.expiresAt?.getTime() ?? 0) - (seeded?.createdAt.getTime() ?? 0)).toBe(DAY);
      const oldRows = Object.values(await bankingCounts(env.db.adminSql, OLD)).reduce((a, b) => a + b, 0);
      const oldCheckpoints = await checkpointsOf(OLD, "load");
      expect(oldRows).toBeGreaterThan(0);
      expect(oldCheckpoints).toBeGreaterThan(0);
      const kept = await snapshotTenant(env.db, NEW);

      // Two days later by the job's clock: OLD (1 day) has expired, NEW (30 days) has not.
      const clock = new Date(Date.now() + 2 * DAY);
      stop = startRetentionJob({
        sql: env.db.appSql,
        log: quietLog,
        admission: env.admission,
        now: () => clock,
        checkMs: 50,
      });
      let purgeRunId = "";
      for (let i = 0; i < 600 && purgeRunId === ""; i++) {
        const [d] = await tenantDatasets(env.db.appSql, OLD, "staging");
        if (d?.closedAt !== null && d?.closedByRun) purgeRunId = d.closedByRun;
        else await Bun.sleep(50);
      }
      stop();
      const purge = await waitForRun(env.db.appSql, purgeRunId, ENDED, 30_000);
      expect(purge.state).toBe("completed");

      const [closed] = await tenantDatasets(env.db.appSql, OLD, "staging");
      expect(closed).toMatchObject({ closedReason: "purged", closedByRun: purgeRunId, cleanupRunId: purgeRunId });
      const [run] = await env.db.adminSql<{ operation: string; principal: string; rows_deleted: string }[]>`
        select operation, principal, rows_deleted::text from seed.runs where id = ${purgeRunId}`;
      expect(run).toEqual({
        operation: "purge",
        principal: "ttl-cleanup",
        rows_deleted: String(oldRows + oldCheckpoints),
      });
      expect(Object.values(await bankingCounts(env.db.adminSql, OLD)).every((n) => n === 0)).toBe(true);
      expect(await checkpointsOf(OLD, "load")).toBe(0);
      const audit = await env.db.adminSql<{ outcome: string; actor: string }[]>`
        select outcome, actor from seed.audit_log where action = 'dataset.expire' and run_id = ${purgeRunId}`;
      expect([...audit]).toEqual([{ outcome: "success", actor: "planner" }]);

      // The unexpired dataset: untouched, byte for byte, still open, no purge submitted.
      expect(await snapshotTenant(env.db, NEW)).toEqual(kept);
      expect((await tenantDatasets(env.db.appSql, NEW, "staging"))[0]).toMatchObject({
        closedAt: null,
        cleanupRunId: null,
      });

      // The purge run's evidence: signed, stored write-once, verified against the signing key.
      const worm = createFsWormStore({ dir: mkdtempSync(join(tmpdir(), "semente-ttl-worm-")) });
      const evidence = createEvidenceService({
        sql: env.db.appSql,
        store: worm,
        keys: env.keys,
        log: quietLog,
        costModel: loadCostModel(),
      });
      const produced = await evidence.produce(purgeRunId);
      expect(produced.status).toBe("stored");
      if (produced.status !== "stored") return;
      const verified = await verifyEvidence({
        bytes: new Uint8Array(readFileSync(fileURLToPath(produced.entry.location))),
        publicKey: await env.keys.publicKey({ environment: "staging", tenant: OLD }),
        index: produced.entry,
        sql: env.db.appSql,
      });
      expect(verified.report.run.operation).toBe("purge");
      expect(verified.report.purge?.rows_deleted).toBe(oldRows + oldCheckpoints);
      expect(verified.report.purge?.deleted.at(-1)).toEqual({ entity: "checkpoints", rows: oldCheckpoints });
      expect(verified.report.checklist.find((c) => c.id === "dataset")?.status).toBe("pass");
    } finally {
      stop?.();
      await seeder.stop();
    }
  }, 120_000);

  test("ttl - a load re-run (a reseed) closes the old dataset as purged, opens its own with a new expiry, and leaves only its checkpoints", async () => {
    const seeder = startInProcessSeeder(env, planner.names);
    try {
      const [before] = await tenantDatasets(env.db.appSql, NEW, "staging");
      const rerun = await admittedRun(env.db.appSql, loadManifest(NEW, "P30D"));
      expect((await waitForRun(env.db.appSql, rerun.id, ENDED, 30_000)).state).toBe("completed");
      const [current, previous] = await tenantDatasets(env.db.appSql, NEW, "staging");
      expect(previous).toMatchObject({ runId: before?.runId, closedReason: "purged", closedByRun: rerun.id });
      expect(current).toMatchObject({ runId: rerun.id, closedAt: null, mode: "load" });
      expect(current?.expiresAt?.getTime()).toBeGreaterThan(before?.expiresAt?.getTime() ?? Infinity);
      const runs = await env.db.adminSql<{ run_id: string }[]>`
        select distinct run_id from seed.checkpoints where tenant_id = ${NEW} and mode = 'load'`;
      expect(runs.map((r) => r.run_id)).toEqual([rerun.id]);
    } finally {
      await seeder.stop();
    }
  }, 90_000);
});
