import { purgesThenSeeds } from "@semente/platform/lifecycle";
import { BANKING_TABLES, type Sql, withTenant } from "@semente/platform/db";
import { type ProblemCode, type ProblemIssue, SementeError } from "@semente/core/errors";
import type { Manifest } from "@semente/core/manifest";
import type { Run } from "@semente/platform/runs";

/** What differs between the tenant's data and a run's manifest, one entry per fact. */
export interface DriftFinding extends ProblemIssue {
  /** Which fact drifted. */
  what: "key_version" | "reference_datetime" | "manifest" | "counts";
}

/** The tenant's data in the run's environment, compared with the run's manifest. */
export interface DriftAssessment {
  /** Checkpointed rows per entity of an earlier run of the same manifest (resume). */
  explainedRows: Record<string, number>;
  /** Banking rows of the tenant per entity, now. */
  actualRows: Record<string, number>;
  findings: DriftFinding[];
  /** Checkpoints of the run's mode written by other runs exist: a previous dataset of that mode. */
  previousOfMode: boolean;
  /** The tenant's rows are exactly what the checkpoints of the run's mode explain (any manifest). */
  modeExplainsData: boolean;
}

interface LastCheckpoint {
  run_id: string;
  manifest_hash: string;
  key_version: number;
  reference_datetime: Date;
}

type Tx = Parameters<Parameters<typeof withTenant>[2]>[0];

async function sumsBy(tx: Tx, run: Run, sameManifest: boolean): Promise<Record<string, number>> {
  const rows = sameManifest
    ? await tx<{ entity: string; rows: string }[]>`
        SELECT entity, sum(row_count)::text AS rows FROM (
          SELECT DISTINCT ON (entity, batch_index) entity, row_count FROM seed.checkpoints
           WHERE tenant_id = ${run.tenantId} AND environment = ${run.environment} AND manifest_hash = ${run.manifestHash}
           ORDER BY entity, batch_index, committed_at) c
         GROUP BY entity`
    : await tx<{ entity: string; rows: string }[]>`
        SELECT entity, sum(row_count)::text AS rows FROM (
          SELECT DISTINCT ON (manifest_hash, entity, batch_index) entity, row_count FROM seed.checkpoints
           WHERE tenant_id = ${run.tenantId} AND environment = ${run.environment} AND mode = ${run.mode}
             AND run_id <> ${run.id}
           ORDER BY manifest_hash, entity, batch_index, committed_at) c
         GROUP BY entity`;
  return Object.fromEntries(rows.map((r) => [r.entity, Number(r.rows)]));
}

async function countRows(tx: Tx): Promise<Record<string, number>> {
  const actual: Record<string, number> = {};
  for (const entity of BANKING_TABLES) {
    // Table names come from a constant list, never from input.
    const [row] = await tx.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM banking.${entity}`);
    actual[entity] = Number(row?.n ?? 0);
  }
  return actual;
}

function sameCounts(actual: Record<string, number>, expected: Record<string, number>): boolean {
  return BANKING_TABLES.every((e) => (actual[e] ?? 0) === (expected[e] ?? 0));
}

function findingsOf(
  run: Run,
  manifest: Manifest,
  last: LastCheckpoint | undefined,
  lastVersion: string | null,
  actual: Record<string, number>,
  explained: Record<string, number>,
): DriftFinding[] {
  const findings: DriftFinding[] = [];
  if (last !== undefined && last.key_version !== manifest.key_version) {
    findings.push({
      what: "key_version",
      pointer: "/key_version",
      message: `key version: the tenant's data was written with ${last.key_version}, the manifest says ${manifest.key_version}`,
    });
  }
  if (last !== undefined && last.reference_datetime.getTime() !== Date.parse(manifest.reference_datetime)) {
    findings.push({
      what: "reference_datetime",
      pointer: "/reference_datetime",
      message: `reference_datetime: the tenant's data was generated for ${last.reference_datetime.toISOString()}, the manifest says ${manifest.reference_datetime}`,
    });
  }
  const counts = BANKING_TABLES.filter((e) => (actual[e] ?? 0) !== (explained[e] ?? 0));
  if (counts.length > 0 && last !== undefined && last.manifest_hash !== run.manifestHash) {
    findings.push({
      what: "manifest",
      pointer: "/metadata/version",
      message: `manifest: the tenant's data was written by version ${lastVersion ?? "?"} (sha256:${last.manifest_hash}), this is version ${manifest.metadata.version} (sha256:${run.manifestHash})`,
    });
  }
  for (const entity of counts) {
    findings.push({
      what: "counts",
      pointer: `/volumetry/${entity}`,
      message: `${entity}: ${actual[entity] ?? 0} rows, checkpoints of this manifest explain ${explained[entity] ?? 0}`,
    });
  }
  return findings;
}

/**
 * Compares the tenant's data in the run's environment with the run's manifest, read as the
 * verification role under RLS: the key version and reference_datetime of its newest checkpoint,
 * and every banking table's row count against what checkpoints of this manifest explain (anything
 * else is data outside the manifest — no auto-merge). Also whether a previous dataset of the run's
 * mode exists and explains every row (a load/DR re-run purges it first). Reads only.
 */
export async function assessDrift(
  verifierSql: Sql,
  appSql: Sql,
  run: Run,
  manifest: Manifest,
): Promise<DriftAssessment> {
  const facts = await withTenant(
    verifierSql,
    run.tenantId,
    async (tx) => {
      const [last] = await tx<LastCheckpoint[]>`
        SELECT run_id, manifest_hash, key_version, reference_datetime FROM seed.checkpoints
         WHERE tenant_id = ${run.tenantId} AND environment = ${run.environment}
         ORDER BY committed_at DESC LIMIT 1`;
      return {
        last,
        explained: await sumsBy(tx, run, true),
        ofMode: await sumsBy(tx, run, false),
        actual: await countRows(tx),
      };
    },
    { readOnly: true },
  );
  const [previous] =
    facts.last === undefined
      ? []
      : await appSql<
          { manifest_version: string }[]
        >`SELECT manifest_version FROM seed.runs WHERE id = ${facts.last.run_id}`;
  return {
    explainedRows: facts.explained,
    actualRows: facts.actual,
    findings: findingsOf(run, manifest, facts.last, previous?.manifest_version ?? null, facts.actual, facts.explained),
    previousOfMode: Object.keys(facts.ofMode).length > 0,
    modeExplainsData: sameCounts(facts.actual, facts.ofMode),
  };
}

const PRECEDENCE: readonly [DriftFinding["what"], ProblemCode][] = [
  ["key_version", "KEY_VERSION_MISMATCH"],
  ["reference_datetime", "REFERENCE_DATETIME_MISMATCH"],
];

/**
 * The refusal of a seed run whose tenant data drifted from its manifest: the most specific code
 * (key version, then reference_datetime, else `DATA_DRIFT`), every finding in `errors`, and a
 * detail naming what drifted and the remedy — a reseed (`semente seed --reseed`, or
 * `"operation": "reseed"` through the API; admin), which replaces the tenant's data in one run.
 */
export function driftRefusal(run: Run, findings: readonly DriftFinding[]): SementeError {
  const code = PRECEDENCE.find(([what]) => findings.some((f) => f.what === what))?.[1] ?? "DATA_DRIFT";
  const counts = findings.filter((f) => f.what === "counts");
  const named = findings.filter((f) => f.what !== "counts").map((f) => f.message);
  if (counts.length > 0) {
    const shown = counts.slice(0, 3).map((f) => f.message);
    const more = counts.length > shown.length ? `; and ${counts.length - shown.length} more entities` : "";
    named.push(`row counts: ${shown.join("; ")}${more}`);
  }
  return new SementeError(
    code,
    `the data of ${run.tenantId} in ${run.environment} does not match this manifest — ${named.join(" | ")}. ` +
      `Remedy: resubmit it as a reseed, which replaces the tenant's data in one run: semente seed --profile <file> --reseed ` +
      `(admin; API: "operation": "reseed")`,
    {
      errors: findings.map(({ pointer, message }) => ({ pointer, message })),
      extensions: { remedy: "reseed", drifted: [...new Set(findings.map((f) => f.what))] },
    },
  );
}

/** What a non-dry load/DR seed run does with the tenant's data, or a plain seed run's refusal. */
export function driftDecision(run: Run, drift: DriftAssessment): { purgeFirst: boolean } {
  // A reseed and a DR drill purge whatever the tenant holds before they write.
  if (purgesThenSeeds(run.operation)) return { purgeFirst: false };
  // R6.6: a load or DR re-run purges that mode's previous dataset first — only when that dataset
  // is all the tenant holds (other data is still drift, refused with the reseed remedy).
  const rerun = (run.mode === "load" || run.mode === "dr") && drift.previousOfMode && drift.modeExplainsData;
  if (rerun) return { purgeFirst: !run.dryRun };
  if (drift.findings.length > 0) throw driftRefusal(run, drift.findings);
  return { purgeFirst: false };
}
