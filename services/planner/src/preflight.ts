import {
  assertPreflight,
  BANKING_TABLES,
  type PreflightResult,
  recordRlsChecks,
  type RlsRecord,
  type Sql,
  withTenant,
} from "@semente/platform/db";
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
}

interface LastCheckpoint {
  manifest_hash: string;
  key_version: number;
  reference_datetime: Date;
}

/**
 * Drift: the last checkpoint of tenant × environment must carry the manifest's key version and
 * reference_datetime; banking rows of the tenant must be exactly the rows checkpoints of this very
 * manifest explain (anything else is data outside the manifest — no auto-merge).
 */
async function checkDrift(sql: Sql, run: Run, manifest: Manifest): Promise<Record<string, number>> {
  return withTenant(
    sql,
    run.tenantId,
    async (tx) => {
      const [last] = await tx<LastCheckpoint[]>`
        SELECT manifest_hash, key_version, reference_datetime FROM seed.checkpoints
         WHERE tenant_id = ${run.tenantId} AND environment = ${run.environment}
         ORDER BY committed_at DESC LIMIT 1`;
      if (last !== undefined) {
        if (last.key_version !== manifest.key_version) {
          throw new SementeError(
            "KEY_VERSION_MISMATCH",
            `the last checkpoint used key version ${last.key_version}, the manifest says ${manifest.key_version}`,
            { extensions: { checkpoint: last.key_version, manifest: manifest.key_version } },
          );
        }
        if (last.reference_datetime.getTime() !== Date.parse(manifest.reference_datetime)) {
          throw new SementeError(
            "REFERENCE_DATETIME_MISMATCH",
            "reference_datetime differs from the last checkpoint; a controlled clean-up and reseed is required",
            {
              extensions: { checkpoint: last.reference_datetime.toISOString(), manifest: manifest.reference_datetime },
            },
          );
        }
      }
      const explained = await tx<{ entity: string; rows: string }[]>`
        SELECT entity, sum(row_count)::text AS rows FROM (
          SELECT DISTINCT ON (entity, batch_index) entity, row_count FROM seed.checkpoints
           WHERE tenant_id = ${run.tenantId} AND environment = ${run.environment} AND manifest_hash = ${run.manifestHash}
           ORDER BY entity, batch_index, committed_at) c
         GROUP BY entity`;
      const explainedRows: Record<string, number> = Object.fromEntries(
        explained.map((r) => [r.entity, Number(r.rows)]),
      );
      const drift: string[] = [];
      for (const entity of BANKING_TABLES) {
        // Table names come from a constant list, never from input.
        const [row] = await tx.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM banking.${entity}`);
        const actual = Number(row?.n ?? 0);
        const expected = explainedRows[entity] ?? 0;
        if (actual !== expected)
          drift.push(`${entity}: ${actual} rows, checkpoints of this manifest explain ${expected}`);
      }
      if (drift.length > 0) {
        throw new SementeError("DATA_DRIFT", "the tenant holds data the manifest's checkpoints do not explain", {
          errors: drift.map((message) => ({ pointer: "/volumetry", message })),
        });
      }
      return explainedRows;
    },
    { readOnly: true },
  );
}

/**
 * The fail-closed gate before any write, in order: manifest (schema, caps, mode, flags), window,
 * budget, database (role, RLS, migrations as the data-plane role), key provider and key version,
 * WORM storage (not for dry runs, which keep no evidence), drift. Throws the first refusal as a `SementeError`; writes nothing.
 */
export async function runPlannerPreflight(deps: PreflightDeps, run: Run): Promise<PreflightReport> {
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
  const explainedRows = await checkDrift(deps.verifierSql, run, manifest);
  return { role: db.role, checks: db.checks, rls, keyVersion, costEstimate: cost.total, explainedRows };
}
