import { assertPreflight, type PreflightResult, recordRlsChecks, type RlsRecord, type Sql } from "@semente/platform/db";
import { type ProblemCode, SementeError } from "@semente/core/errors";
import { assertWormAvailable, type WormStore } from "@semente/platform/evidence";
import { assertKeyVersion, type KeyProvider } from "@semente/platform/keys";
import {
  type CostModel,
  estimateCost,
  assertWithinWindow,
  type Manifest,
  validateManifest,
} from "@semente/core/manifest";
import type { Run } from "@semente/platform/runs";
import { assertDrillable } from "./drill.ts";
import { assessDrift, type DriftFinding, driftDecision } from "./drift.ts";

/** What the planner's preflight needs. */
export interface PreflightDeps {
  /** Control plane (semente_app). */
  sql: Sql;
  /** The seeders' data-plane role: role, RLS, tenant binding and migrations are checked as it. */
  dataPlaneSql: Sql;
  /** Read-only verification role (semente_verifier): the drift check's checkpoint and banking reads, under RLS. */
  verifierSql: Sql;
  migrationsDir: string;
  /** The key provider of the run's environment (building it may itself refuse: DEV_KEY_FORBIDDEN). */
  keys: (environment: string) => KeyProvider;
  costModel: CostModel;
  /** Where the evidence service will write the run's report; unavailable → WORM_UNAVAILABLE (R7.2). */
  worm: WormStore;
  now: () => Date;
}

/** Codes whose refusal makes the run `aborted` (a guard) rather than `failed`. */
export const ABORT_CODES: ReadonlySet<ProblemCode> = new Set<ProblemCode>(["OUTSIDE_WINDOW", "BUDGET_EXCEEDED"]);

/** Facts the preflight established (for the audit row and the evidence). */
export interface PreflightReport {
  role: string;
  /** The database checks that ran (role, RLS, migrations) as the data-plane role. */
  checks: PreflightResult["checks"];
  /** The role's attributes and every tenant table's RLS and policies, as that role saw them. */
  rls: RlsRecord;
  keyVersion: number;
  costEstimate: number;
  /** Checkpointed rows per entity of an earlier run of the same manifest (resume). */
  explainedRows: Record<string, number>;
  /** A load/DR re-run: the mode's previous dataset is purged first (the run becomes a reseed). */
  purgeFirst: boolean;
  /** What a reseed (or a load/DR re-run) replaces; empty for a seed run (drift refuses it). */
  drift: DriftFinding[];
}

/**
 * The gate before a purge run deletes anything: the database as the data-plane role (role, RLS,
 * tenant binding, migrations — the deletes run as it, under RLS) and the WORM store its evidence
 * goes to. A purge has no manifest: no window, budget, key or drift check applies.
 */
async function runPurgePreflight(deps: PreflightDeps, run: Run): Promise<PreflightReport> {
  const db = await assertPreflight(deps.dataPlaneSql, { migrationsDir: deps.migrationsDir });
  const rls = await recordRlsChecks(deps.dataPlaneSql);
  await assertWormAvailable(deps.worm);
  return {
    role: db.role,
    checks: db.checks,
    rls,
    keyVersion: run.keyVersion,
    costEstimate: 0,
    explainedRows: {},
    purgeFirst: false,
    drift: [],
  };
}

/**
 * The fail-closed gate before any write, in order: manifest (schema, caps, mode, flags), window,
 * budget, database (role, RLS, migrations as the data-plane role), key provider and key version,
 * WORM storage (not for dry runs, which keep no evidence), drift (refused with the reseed remedy,
 * except for a reseed, or a load/DR re-run whose previous dataset of the mode is all the tenant
 * holds). A purge run gets {@link runPurgePreflight}. Throws the first refusal as a `SementeError`;
 * writes nothing.
 */
export async function runPlannerPreflight(deps: PreflightDeps, run: Run): Promise<PreflightReport> {
  if (run.operation === "purge") return runPurgePreflight(deps, run);
  assertDrillable(run);
  const manifest = run.manifest as Manifest;
  const issues = validateManifest(manifest);
  if (issues.length > 0) {
    const first = issues[0];
    throw new SementeError(first?.code ?? "VALIDATION_FAILED", "the run's manifest no longer validates", {
      errors: issues.map(({ pointer, message }) => ({ pointer, message })),
    });
  }
  assertWithinWindow(manifest.window, deps.now());
  const cost = estimateCost(manifest, deps.costModel);
  if (cost.overBudget) {
    throw new SementeError("BUDGET_EXCEEDED", "estimated cost is over the manifest's budget", {
      extensions: { estimate: cost.total, budget: manifest.budget.max_cost, currency: cost.currency },
    });
  }
  const db = await assertPreflight(deps.dataPlaneSql, { migrationsDir: deps.migrationsDir });
  const rls = await recordRlsChecks(deps.dataPlaneSql);
  const provider = deps.keys(run.environment);
  const keyVersion = await assertKeyVersion(
    provider,
    { environment: run.environment, tenant: run.tenantId },
    manifest.key_version,
  );
  // Key material must be derivable too: a provider that answers metadata but not HMAC is down.
  await provider.deriveFpeKey({ environment: run.environment, tenant: run.tenantId }, keyVersion);
  if (!run.dryRun) await assertWormAvailable(deps.worm);
  const drift = await assessDrift(deps.verifierSql, deps.sql, run, manifest);
  const { purgeFirst } = driftDecision(run, drift);
  return {
    role: db.role,
    checks: db.checks,
    rls,
    keyVersion,
    costEstimate: cost.total,
    explainedRows: drift.explainedRows,
    purgeFirst,
    drift: drift.findings,
  };
}
