import { isSementeError } from "@semente/core/errors";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sql } from "../../src/db/index.ts";
import { createLocalDevKeyProvider, type KeyProvider } from "../../src/keys/index.ts";
import { type Manifest, parseManifest, plannedRows } from "@semente/core/manifest";
import { createRunProgress, planBatches } from "@semente/core/pipeline";
import { BANKING_TABLES } from "../../src/db/index.ts";
import type { EvidenceReport } from "../../src/evidence/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";

/** Repository root. */
export const REPO_ROOT = join(import.meta.dir, "../../../..");

/** The canonical dev profile of banco-alfa, parsed. */
export function devManifest(): { manifest: Manifest; hashHex: string } {
  const file = join(REPO_ROOT, "configs/seed_profiles/dev/banco-alfa.yaml");
  const { manifest, hash } = parseManifest(readFileSync(file, "utf8"), { filename: file });
  return { manifest, hashHex: hash.replace(/^sha256:/, "") };
}

/** A local dev key provider over a throwaway `.env.local` (isolated dev, CI ignored). */
export function devKeys(seedByte = "22"): KeyProvider {
  const dir = mkdtempSync(join(tmpdir(), "semente-evidence-keys-"));
  const envLocalPath = join(dir, ".env.local");
  writeFileSync(envLocalPath, `SEMENTE_DEV_KEY=${seedByte.repeat(32)}\n`);
  return createLocalDevKeyProvider({ environment: "dev", isolatedDev: true, envLocalPath, env: {} });
}

/** A silent logger. */
export function quietLog() {
  return createLogger({ service: "evidence-test", level: "silent" });
}

const hex = (text: string): string => createHash("sha256").update(text).digest("hex");

/** Options of {@link insertEndedRun}. */
export interface EndedRunOptions {
  state?: "completed" | "failed" | "aborted" | "cancelled";
  /** Commit only the first N planned batches (a run that ended part way). @default all */
  committed?: number;
  /** Record `rows_validated` on every checkpoint. @default true */
  validated?: boolean;
  /** The digest the run records; defaults to the planner's (`createRunProgress(...).datasetDigest()`). */
  recordedDigest?: string | null;
  dryRun?: boolean;
  /** Batch duration recorded in every checkpoint; null leaves it unset. @default 120 */
  durationMs?: number | null;
  /** Insert a `preflight.pass` audit row. @default true */
  preflight?: boolean;
  /** Principal subject. @default "svc-seed-runner" */
  principal?: string;
}

/** The RLS record the planner writes in its preflight audit row (every tenant table forced, one policy). */
export function rlsRecord(): Record<string, unknown> {
  return {
    role: { name: "semente_seeder", superuser: false, bypassrls: false },
    tables: [...BANKING_TABLES.map((t) => `banking.${t}`), "seed.checkpoints"].map((table) => ({
      table,
      rls_enabled: true,
      rls_forced: true,
      policies: ["tenant_isolation"],
    })),
  };
}

/**
 * Inserts (as a superuser) a run of the dev banco-alfa manifest that ended, with one batch row and
 * one checkpoint per planned batch (planner order and levels), the dataset digest the planner
 * computes from them, and a preflight audit row.
 */
export async function insertEndedRun(
  adminSql: Sql,
  options: EndedRunOptions = {},
): Promise<{ runId: string; digest: string; checkpoints: number }> {
  const { manifest, hashHex } = devManifest();
  const runId = crypto.randomUUID();
  const tenant = manifest.metadata.tenant;
  const planned = plannedRows(manifest);
  const plan = planBatches(manifest);
  const progress = createRunProgress(plan);
  const batches = plan.batches.map((b) => ({
    entity: b.entity,
    index: b.batchIndex,
    from: b.from,
    to: b.to,
    level: b.level,
    digest: hex(`${runId}/${b.entity}/${b.batchIndex}`),
  }));
  for (const b of batches) progress.commit(b.entity, b.index, b.digest, b.to - b.from);
  // Exactly what the planner records when the run completes.
  const plannerDigest = progress.datasetDigest().replace(/^sha256:/, "");
  const digest = recordedDigest(options, plannerDigest);
  const dryRun = options.dryRun ?? false;
  await adminSql`
    insert into seed.runs (id, environment, tenant_id, mode, dry_run, state, manifest_hash, manifest_version, manifest,
      reference_datetime, key_version, principal, trace_id, dataset_digest, rows_planned, rows_written,
      started_at, finished_at)
    values (${runId}, 'dev', ${tenant}, 'baseline', ${dryRun}, ${options.state ?? "completed"}, ${hashHex},
      ${manifest.metadata.version}, ${adminSql.json(manifest as never)}, ${manifest.reference_datetime}, 1,
      ${options.principal ?? "svc-seed-runner"}, ${"ab".repeat(16)}, ${dryRun ? null : digest}, ${planned.total},
      ${dryRun ? 0 : planned.total}, now() - interval '10 seconds', now())`;
  if (options.preflight ?? true) await insertPreflightPass(adminSql, tenant, runId);
  if (dryRun) return { runId, digest: plannerDigest, checkpoints: 0 };
  for (const b of batches.slice(0, options.committed ?? batches.length)) {
    await insertCommitted(adminSql, { runId, tenant, hashHex, referenceDatetime: manifest.reference_datetime }, b, {
      durationMs: options.durationMs === undefined ? 120 : options.durationMs,
      validated: options.validated !== false,
    });
  }
  return { runId, digest: plannerDigest, checkpoints: Math.min(options.committed ?? batches.length, batches.length) };
}

/** What the run records as its dataset digest: the planner's, unless the options give another (or null). */
function recordedDigest(options: EndedRunOptions, plannerDigest: string): string | null {
  return options.recordedDigest === undefined
    ? plannerDigest
    : (options.recordedDigest?.replace(/^sha256:/, "") ?? null);
}

/** The planner's passing preflight audit row of the run (role, RLS record, checks). */
async function insertPreflightPass(adminSql: Sql, tenant: string, runId: string): Promise<void> {
  await adminSql`
    insert into seed.audit_log (actor, action, outcome, tenant_id, environment, run_id, details)
    values ('planner', 'preflight.pass', 'success', ${tenant}, 'dev', ${runId}, ${adminSql.json({
      role: "semente_seeder",
      rls: rlsRecord(),
      span_id: "cd".repeat(8),
      checks: [
        { check: "role", ok: true },
        { check: "rls", ok: true },
        { check: "migrations", ok: true },
      ],
    } as never)})`;
}

/** One committed batch row and its checkpoint. */
async function insertCommitted(
  adminSql: Sql,
  run: { runId: string; tenant: string; hashHex: string; referenceDatetime: string },
  b: { entity: string; index: number; level: number; from: number; to: number; digest: string },
  options: { durationMs: number | null; validated: boolean },
): Promise<void> {
  const { runId, tenant, hashHex } = run;
  await adminSql`
    insert into seed.batches (run_id, entity, batch_index, level, from_ordinal, to_ordinal, state, attempts, row_count,
      digest, committed_at)
    values (${runId}, ${b.entity}, ${b.index}, ${b.level}, ${b.from}, ${b.to}, 'committed', 1, ${b.to - b.from},
      ${b.digest}, now())`;
  await adminSql`
    insert into seed.checkpoints (tenant_id, environment, mode, run_id, entity, batch_index, from_ordinal, to_ordinal,
      row_count, digest, manifest_hash, key_version, reference_datetime, duration_ms, rows_validated)
    values (${tenant}, 'dev', 'baseline', ${runId}, ${b.entity}, ${b.index}, ${b.from}, ${b.to}, ${b.to - b.from},
      ${b.digest}, ${hashHex}, 1, ${run.referenceDatetime}, ${options.durationMs},
      ${options.validated ? b.to - b.from : null})`;
}

/** A small valid report, built by hand (no database). */
export function sampleReport(): EvidenceReport {
  const runId = "0b6f3c1e-8d2a-4f5b-9c7d-1e2f3a4b5c6d";
  const digest = `sha256:${"a1".repeat(32)}`;
  const check = (id: EvidenceReport["checklist"][number]["id"]) => ({
    id,
    status: "pass" as const,
    summary: `${id} holds`,
    evidence: { checked: 1 },
  });
  return {
    schema_version: 1,
    labels: { tenant: "acme", environment: "staging", run_id: runId },
    run: {
      id: runId,
      tenant: "acme",
      environment: "staging",
      mode: "baseline",
      dry_run: false,
      state: "completed",
      reason_code: null,
      manifest_hash: `sha256:${"0f".repeat(32)}`,
      manifest_version: "1.0.0",
      reference_datetime: "2025-01-01T00:00:00.000Z",
      key_version: 1,
      principal: "svc-seed-runner",
    },
    timestamps: {
      created_at: "2026-01-10T10:00:00.000Z",
      started_at: "2026-01-10T10:00:01.000Z",
      finished_at: "2026-01-10T10:01:00.000Z",
      generated_at: "2026-01-10T10:01:02.000Z",
    },
    trace: { trace_id: "ab".repeat(16), span_ids: [] },
    entities: [{ entity: "tenants", rows_planned: 1, rows_written: 1, batches: 1 }],
    batches: [
      {
        entity: "tenants",
        batch_index: 0,
        level: 0,
        from_ordinal: 0,
        to_ordinal: 1,
        state: "committed",
        attempts: 1,
        row_count: 1,
        digest,
        duration_ms: 12,
      },
    ],
    dataset: { digest, recorded_digest: digest, matches_recorded: true, checkpoints: 1 },
    volumes: { rows_planned: 1, rows_written: 1, batches_planned: 1, batches_committed: 1 },
    cost: {
      currency: "USD",
      budget: 1,
      estimated: 0.01,
      measured: 0.01,
      ratio: 0.01,
      breakdown: { rows: 0.001, storage: 0, evidence: 0.009, compute: 0 },
      note: null,
    },
    checklist: (["pii", "rls", "contracts", "idempotency", "rate_limit", "slo", "dataset", "trace"] as const).map(
      check,
    ),
  };
}

/** The SementeError a promise rejects with (`resolved` when it does not reject). */
export async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isSementeError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  return { code: "resolved", message: "" };
}
