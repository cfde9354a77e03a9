import { COMMON_VARS, loadConfig } from "@semente/platform/config";
import { BANKING_TABLES, createSql, type Sql, withTenant } from "@semente/platform/db";
import { SementeError } from "@semente/core/errors";
import { createGenerationContext, type GenerationContext } from "@semente/core/factories";
import type { Manifest } from "@semente/core/manifest";
import { digestBatch, digestHex, planBatches, runDatasetDigest } from "@semente/core/pipeline";
import { KEY_PROVIDER_VARS, keyProviderFromConfig } from "@semente/platform/pipeline";
import { describeDifference, type RowVerification, verifyRows } from "@semente/platform/verify";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";
import { readManifest } from "./seed.ts";

const USAGE = `usage: semente verify --profile <file> [--sample <fraction>] [--json]

Regenerates the manifest's dataset (factories + key provider) and compares it with the database
(as the read-only verification role, SEMENTE_VERIFIER_DATABASE_URL, under RLS): the dataset digest recorded by the latest completed run of
this manifest, each batch's checkpoint digest, and then every row of the tenant, read in one
REPEATABLE READ READ ONLY snapshot and compared value by value. Missing rows, extra rows and
differing values are named by entity, ordinal (or id) and column, never by value. --sample
<fraction> compares a deterministic fraction of the rows (row counts stay exact) and says so.
Exit 0 when everything matches, 6 (DATASET_MISMATCH) otherwise.`;

/** The generation context of a manifest, with the key provider's key material (KEY_PROVIDER, VAULT_*). */
export async function generationContextFor(manifest: Manifest, hash: string): Promise<GenerationContext> {
  const config = loadConfig(KEY_PROVIDER_VARS);
  const provider = keyProviderFromConfig(config, manifest.metadata.environment);
  const scope = { environment: manifest.metadata.environment, tenant: manifest.metadata.tenant };
  const fpeKey = await provider.deriveFpeKey(scope, manifest.key_version);
  return createGenerationContext({ manifest, manifestHash: hash, fpeKey, keyVersion: manifest.key_version });
}

/** Parses `--sample`: a fraction in (0, 1]. */
export function parseSample(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new UsageError(`--sample must be a fraction in (0, 1], got ${JSON.stringify(value)}`);
  return n;
}

/** The first `limit` differences of a row verification as problem issues (no value ever), then how many more. */
export function rowProblems(result: RowVerification, limit = 20): { pointer: string; message: string }[] {
  const problems = result.differences.slice(0, limit).map((d) => ({
    pointer: `/rows/${d.entity}${d.ordinal === null ? "" : `/${d.ordinal}`}${d.column === null ? "" : `/${d.column}`}`,
    message: describeDifference(d),
  }));
  if (result.differenceCount > problems.length) {
    problems.push({ pointer: "/rows", message: `${result.differenceCount - problems.length} more difference(s)` });
  }
  return problems;
}

/** One line describing what a row verification covered. */
export function rowSummary(result: RowVerification): string {
  const scope =
    result.sample === null ? "every row" : `a deterministic sample of ${result.sample} of the rows (row counts exact)`;
  return `rows       ${result.rowsCompared} compared value by value (${scope}); ${result.differenceCount} difference(s)`;
}

interface Observed {
  runDigest: string | null;
  runId: string | null;
  checkpoints: Map<string, string>;
  counts: Record<string, number>;
}

async function observe(sql: Sql, manifest: Manifest, hash: string): Promise<Observed> {
  const tenant = manifest.metadata.tenant;
  const environment = manifest.metadata.environment;
  const bare = hash.replace(/^sha256:/, "");
  const [run] = await sql<{ id: string; dataset_digest: string }[]>`
    SELECT id, dataset_digest FROM seed.runs
     WHERE tenant_id = ${tenant} AND environment = ${environment} AND manifest_hash = ${bare}
       AND state = 'completed' AND NOT dry_run
     ORDER BY finished_at DESC LIMIT 1`;
  return withTenant(
    sql,
    tenant,
    async (tx) => {
      const rows = await tx<{ entity: string; batch_index: number; digest: string }[]>`
        SELECT DISTINCT ON (entity, batch_index) entity, batch_index, digest FROM seed.checkpoints
         WHERE tenant_id = ${tenant} AND environment = ${environment} AND manifest_hash = ${bare}
         ORDER BY entity, batch_index, committed_at`;
      const counts: Record<string, number> = {};
      for (const entity of BANKING_TABLES) {
        // Table names come from a constant list, never from input.
        const [row] = await tx.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM banking.${entity}`);
        counts[entity] = Number(row?.n ?? 0);
      }
      return {
        runDigest: run?.dataset_digest ?? null,
        runId: run?.id ?? null,
        checkpoints: new Map(rows.map((r) => [`${r.entity}:${r.batch_index}`, r.digest])),
        counts,
      };
    },
    { readOnly: true },
  );
}

/** The read-only verification role `verify` (and the planner's drift check) read banking rows as. */
export const VERIFIER_DATABASE_URL = COMMON_VARS.SEMENTE_VERIFIER_DATABASE_URL;

/** Entities `verify` compares at once (`verifyRows` lanes), each on its own pooled connection. */
const VERIFY_LANES = 2;

/**
 * The connection `verify` and `evidence verify` read banking rows with: the read-only
 * verification role (semente_verifier, subject to RLS, no write privilege anywhere).
 */
export function verificationSql(url: string): Sql {
  return createSql(url, { applicationName: "semente-cli-verify", max: VERIFY_LANES });
}

/** The run's recorded digest, each checkpoint's digest and each entity's count against the regenerated dataset. */
function digestProblems(
  plan: ReturnType<typeof planBatches>,
  observed: Observed,
  expected: { batchDigests: string[]; datasetDigest: string },
): { pointer: string; message: string }[] {
  const problems: { pointer: string; message: string }[] = [];
  if (observed.runDigest === null) problems.push({ pointer: "/runs", message: "no completed run of this manifest" });
  else if (observed.runDigest !== digestHex(expected.datasetDigest)) {
    problems.push({
      pointer: "/runs/dataset_digest",
      message: `run ${observed.runId} recorded sha256:${observed.runDigest}`,
    });
  }
  plan.batches.forEach((b, i) => {
    const stored = observed.checkpoints.get(`${b.entity}:${b.batchIndex}`);
    if (stored !== digestHex(expected.batchDigests[i] as string)) {
      problems.push({
        pointer: `/checkpoints/${b.entity}/${b.batchIndex}`,
        message: stored === undefined ? "missing checkpoint" : "checkpoint digest differs from the recomputed batch",
      });
    }
  });
  for (const [entity, planned] of Object.entries(plan.rowsPerEntity)) {
    if (observed.counts[entity] !== planned) {
      problems.push({
        pointer: `/counts/${entity}`,
        message: `${observed.counts[entity]} rows in the database, ${planned} planned`,
      });
    }
  }
  return problems;
}

/** DATASET_MISMATCH listing the first 20 problems (and how many more). */
function mismatch(problems: { pointer: string; message: string }[]): SementeError {
  return new SementeError("DATASET_MISMATCH", `the database differs from the manifest (${problems.length} problems)`, {
    errors: [
      ...problems.slice(0, 20),
      ...(problems.length > 20 ? [{ pointer: "/", message: `${problems.length - 20} more problem(s)` }] : []),
    ],
  });
}

export const verifyCommand: Command = {
  name: "verify",
  summary: "recompute the dataset digest from the manifest and compare it with the database",
  usage: USAGE,
  async run(argv) {
    const { values } = parse(
      argv,
      { profile: { type: "string" }, sample: { type: "string" }, json: { type: "boolean" } },
      false,
    );
    if (values.profile === undefined) throw new UsageError(`--profile is required\n\n${USAGE}`);
    const sample = parseSample(values.sample);
    const { manifest, hash } = readManifest(values.profile);
    const plan = planBatches(manifest);
    const { SEMENTE_VERIFIER_DATABASE_URL } = loadConfig({ SEMENTE_VERIFIER_DATABASE_URL: VERIFIER_DATABASE_URL });
    const sql = verificationSql(SEMENTE_VERIFIER_DATABASE_URL);
    let observed: Observed;
    let rows: RowVerification;
    // The batch digests of the regenerated dataset, taken during the row comparison (one generation).
    const batchDigests = new Map<string, string>();
    try {
      observed = await observe(sql, manifest, hash);
      rows = await verifyRows({
        sql,
        manifest,
        ctx: await generationContextFor(manifest, hash),
        ...(sample === undefined ? {} : { sample }),
        onBatch: (b, batch) => batchDigests.set(`${b.entity}:${b.batchIndex}`, digestBatch(batch)),
        // Two entities at once, one connection each, in one snapshot (the pool's two).
        concurrency: VERIFY_LANES,
      });
    } finally {
      await sql.end({ timeout: 5 });
    }
    const expected = {
      batchDigests: plan.batches.map((b) => batchDigests.get(`${b.entity}:${b.batchIndex}`) as string),
      datasetDigest: runDatasetDigest(
        plan.batches.map((b) => ({ ...b, digest: batchDigests.get(`${b.entity}:${b.batchIndex}`) as string })),
      ) as string,
    };
    const problems = [...digestProblems(plan, observed, expected), ...rowProblems(rows)];
    const report = {
      tenant: manifest.metadata.tenant,
      environment: manifest.metadata.environment,
      manifest_hash: hash,
      dataset_digest: expected.datasetDigest,
      database_digest: observed.runDigest === null ? null : `sha256:${observed.runDigest}`,
      counts: plan.rowsPerEntity,
      rows_compared: rows.rowsCompared,
      sample: rows.sample,
      differences: rows.differenceCount,
      ok: problems.length === 0,
      problems,
    };
    if (values.json) out(JSON.stringify(report));
    else {
      out(`expected   ${expected.datasetDigest}  (${plan.batches.length} batches, ${plan.totalRows} rows)`);
      out(`database   ${report.database_digest ?? "-"}`);
      for (const [entity, planned] of Object.entries(plan.rowsPerEntity)) {
        out(`  ${entity.padEnd(24)} ${String(observed.counts[entity] ?? 0).padStart(9)} / ${planned}`);
      }
      out(rowSummary(rows));
    }
    if (problems.length > 0) throw mismatch(problems);
    if (!values.json) {
      out(
        rows.sample === null
          ? "verified: the database holds exactly the manifest's dataset"
          : `verified: the sampled rows (fraction ${rows.sample}) and every count match the manifest's dataset`,
      );
    }
    return 0;
  },
};
