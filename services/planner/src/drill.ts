import type { Sql } from "@semente/platform/db";
import { SementeError } from "@semente/core/errors";
import { createGenerationContext } from "@semente/core/factories";
import type { KeyProvider } from "@semente/platform/keys";
import {
  assessDrill,
  captureLoss,
  type DrillAssessment,
  type DrillFacts,
  drillTargets,
  markRegenerated,
  readDrill,
  recordVerification,
  verifyDrill,
} from "@semente/platform/lifecycle";
import type { Manifest } from "@semente/core/manifest";
import type { Run } from "@semente/platform/runs";
import type { Logger } from "@semente/platform/telemetry";

/** What the drill phases of the planner need. */
export interface DrillDeps {
  /** Control plane (semente_app): seed.dr_drills. */
  sql: Sql;
  /** Read-only verification role (semente_verifier): the state at the loss, and the verification. */
  verifierSql: Sql;
  /** The key provider of the run's environment (the verification regenerates with its key material). */
  keys: (environment: string) => KeyProvider;
  log: Logger;
  /** Entities verified at once, each on its own `verifierSql` connection, in one snapshot. @default 1 */
  verifyLanes?: number;
}

/** True for a DR drill run (a reseed that records the loss, verifies and reports RTO/RPO). */
export const isDrill = (run: Pick<Run, "operation">): boolean => run.operation === "dr_drill";

/** A DR drill runs only a `dr` manifest, never as a dry run (the gateway refuses both first). */
export function assertDrillable(run: Run): void {
  if (!isDrill(run)) return;
  if ((run.manifest as Manifest).mode !== "dr") {
    throw new SementeError("MODE_NOT_ALLOWED", "a DR drill runs only a manifest in dr mode", {
      errors: [{ pointer: "/mode", message: "must be dr for a DR drill" }],
    });
  }
  if (run.dryRun) throw new SementeError("VALIDATION_FAILED", "a DR drill cannot be a dry run");
}

/**
 * The loss instant of a drill: what the tenant holds, captured right before the purge phase is
 * released (once; a resumed drill keeps it). Nothing for any other run.
 */
export async function recordLoss(deps: DrillDeps, run: Run): Promise<DrillFacts | null> {
  if (!isDrill(run)) return null;
  const facts = await captureLoss({
    sql: deps.sql,
    verifierSql: deps.verifierSql,
    runId: run.id,
    tenantId: run.tenantId,
    environment: run.environment,
    mode: run.mode,
    targets: drillTargets(run.manifest as Manifest),
  });
  deps.log.info(
    { loss_at: facts.lossAt.toISOString(), rows_at_loss: facts.rowsAtLoss, batches: facts.acknowledged.length },
    "DR drill: loss recorded",
  );
  return facts;
}

/** How a drill ends once its regeneration committed every batch. */
export interface DrillOutcome {
  assessment: DrillAssessment;
  /** Null when the drill passed (the run completes), else why it fails. */
  error: SementeError | null;
}

/** The verification phase, run once: every row compared as the verification role, then recorded. */
async function verified(deps: DrillDeps, run: Run, isStopped: () => boolean): Promise<DrillFacts> {
  const facts = await readDrill(deps.sql, run.id);
  if (facts === null) throw new SementeError("INTERNAL", `DR drill ${run.id} has no recorded loss`);
  if (facts.verifiedAt !== null) return facts;
  const manifest = run.manifest as Manifest;
  const scope = { environment: run.environment, tenant: run.tenantId };
  const fpeKey = await deps.keys(run.environment).deriveFpeKey(scope, run.keyVersion);
  const ctx = createGenerationContext({
    manifest,
    manifestHash: `sha256:${run.manifestHash}`,
    fpeKey,
    keyVersion: run.keyVersion,
  });
  const verification = await verifyDrill({
    verifierSql: deps.verifierSql,
    runId: run.id,
    manifest,
    ctx,
    shouldStop: isStopped,
    concurrency: deps.verifyLanes ?? 1,
  });
  deps.log.info(
    { ok: verification.ok, rows: verification.rowsCompared, differences: verification.differences },
    "DR drill: rows verified",
  );
  return recordVerification(deps.sql, run.id, verification);
}

/**
 * After the regeneration: records its end, verifies the rows value by value (inside the run, so
 * the signed evidence holds the outcome; `isStopped` interrupts it, and the next executor
 * verifies again), and judges RTO/RPO against the targets. A verification
 * that finds differences fails the run with DATASET_MISMATCH; RTO or RPO over target (or an
 * unbounded RPO) with DR_TARGET_MISSED.
 */
export async function concludeDrill(
  deps: DrillDeps,
  run: Run,
  committed: readonly RestoredRef[],
  isStopped: () => boolean = () => false,
): Promise<DrillOutcome> {
  await markRegenerated(deps.sql, run.id);
  const facts = await verified(deps, run, isStopped);
  const assessment = assessDrill(facts, committed);
  if (assessment.passed) return { assessment, error: null };
  const extensions = {
    rto_seconds: assessment.rtoSeconds,
    rpo_seconds: assessment.rpoSeconds,
    rto_target_seconds: assessment.targets.rtoSeconds,
    rpo_target_seconds: assessment.targets.rpoSeconds,
  };
  const v = facts.verification;
  const error =
    v === null || !v.ok
      ? new SementeError(
          "DATASET_MISMATCH",
          `DR drill verification failed: ${v?.differences ?? 0} row difference(s), ${v?.checkpointMismatches ?? 0} checkpoint mismatch(es)`,
          { extensions: { ...extensions, differences: v?.differences ?? null }, errors: firstDifferences(v?.first) },
        )
      : new SementeError("DR_TARGET_MISSED", assessment.problems.join("; "), { extensions });
  return { assessment, error };
}

/** A committed batch of the drill (its checkpoint). */
export interface RestoredRef {
  entity: string;
  batchIndex: number;
  digest: string;
}

function firstDifferences(first: readonly string[] | undefined): { pointer: string; message: string }[] | undefined {
  if (first === undefined || first.length === 0) return undefined;
  return first.map((message) => ({ pointer: `/rows/${message.split(" ")[0]}`, message }));
}
