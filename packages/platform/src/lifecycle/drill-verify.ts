import { DbRole, type Sql, withTenant } from "../db/index.ts";
import { SementeError } from "@semente/core/errors";
import type { GenerationContext } from "@semente/core/factories";
import type { Manifest } from "@semente/core/manifest";
import { digestBatch } from "@semente/core/pipeline";
import { describeDifference, verifyRows } from "../verify/index.ts";
import type { DrillVerification } from "./drill.ts";

/** Options of {@link verifyDrill}. */
export interface VerifyDrillOptions {
  /** Read-only verification role (semente_verifier): rows and checkpoints, under RLS. */
  verifierSql: Sql;
  runId: string;
  manifest: Manifest;
  /** Generation context of the run's manifest (same key material as the seeders). */
  ctx: GenerationContext;
  /** Differences kept in detail (described without values). @default 20 */
  maxDifferences?: number;
  /** Checked after every regenerated batch: true stops the verification (UNAVAILABLE, nothing recorded). */
  shouldStop?: () => boolean;
  /** Entities verified at once (`verifyRows`' lanes, one snapshot). @default 1 */
  concurrency?: number;
}

/**
 * The drill's verification phase: every row of the tenant compared value by value with the
 * dataset regenerated from the manifest (`verifyRows`, one REPEATABLE READ READ ONLY snapshot, as
 * the verification role), and every regenerated batch's digest compared with the checkpoint the
 * drill committed for it. Passes only when both agree everywhere.
 */
export async function verifyDrill(options: VerifyDrillOptions): Promise<DrillVerification> {
  const tenant = options.manifest.metadata.tenant;
  const checkpoints = await withTenant(
    options.verifierSql,
    tenant,
    (tx) => tx<{ entity: string; batch_index: number; digest: string }[]>`
      SELECT entity, batch_index, digest FROM seed.checkpoints WHERE run_id = ${options.runId}`,
    { readOnly: true },
  );
  const stored = new Map(checkpoints.map((c) => [`${c.entity}/${c.batch_index}`, c.digest]));
  let regenerated = 0;
  let mismatches = 0;
  const rows = await verifyRows({
    sql: options.verifierSql,
    manifest: options.manifest,
    ctx: options.ctx,
    maxDifferences: options.maxDifferences ?? 20,
    concurrency: options.concurrency ?? 1,
    onBatch: (planned, batch) => {
      if (options.shouldStop?.() === true) {
        throw new SementeError("UNAVAILABLE", "DR drill verification interrupted: the planner is stopping", {
          retryable: true,
        });
      }
      regenerated++;
      const digest = digestBatch(batch).replace(/^sha256:/, "");
      if (stored.get(`${planned.entity}/${planned.batchIndex}`) !== digest) mismatches++;
    },
  });
  // A checkpoint of the drill for a batch the plan does not have is a mismatch too.
  mismatches += Math.max(0, checkpoints.length - regenerated);
  return {
    ok: rows.ok && mismatches === 0,
    role: DbRole.VERIFIER,
    rowsCompared: rows.rowsCompared,
    differences: rows.differenceCount,
    checkpointMismatches: mismatches,
    first: rows.differences.map(describeDifference),
  };
}
