import type { Sql } from "../db/index.ts";
import { assessDrill, type DrillAssessment, type DrillFacts, type DrillVerification } from "../lifecycle/drill.ts";
import { readDrill } from "../lifecycle/drill-record.ts";
import type { Run } from "../runs/index.ts";
import type { CheckpointFact } from "./checklist.ts";
import type { CheckItem, ReportDr } from "./report-types.ts";

/** The drill facts of a run whose operation is `dr_drill`, and their assessment. */
export interface DrillEvidence {
  facts: DrillFacts | null;
  assessment: DrillAssessment | null;
}

/** The drill of a run: null when the run is not a DR drill; facts null when its loss was never captured. */
export async function readDrillEvidence(
  sql: Sql,
  run: Pick<Run, "id" | "operation">,
  checkpoints: readonly CheckpointFact[],
): Promise<DrillEvidence | null> {
  if (run.operation !== "dr_drill") return null;
  const facts = await readDrill(sql, run.id);
  return { facts, assessment: facts === null ? null : assessDrill(facts, checkpoints) };
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** The `dr` section of a drill whose loss was never captured: nothing measured. */
const UNCAPTURED: ReportDr = {
  loss_at: null,
  purged_at: null,
  regenerated_at: null,
  verified_at: null,
  rto_seconds: null,
  rpo_seconds: null,
  targets: null,
  rows_at_loss: null,
  rows_purged: null,
  unexplained_rows: null,
  batches_acknowledged: null,
  batches_restored: null,
  batches_not_restored: null,
  acknowledged_digest: null,
  verification: null,
  rpo_basis: "not established: the drill's loss was never captured",
};

function reportVerification(v: DrillVerification | null): ReportDr["verification"] {
  if (v === null) return null;
  return {
    ok: v.ok,
    role: v.role,
    rows_compared: v.rowsCompared,
    differences: v.differences,
    checkpoint_mismatches: v.checkpointMismatches,
    first_differences: v.first,
  };
}

/** The report's `dr` section. */
export function reportDr(drill: DrillEvidence): ReportDr {
  const { facts, assessment: a } = drill;
  if (facts === null || a === null) return UNCAPTURED;
  return {
    loss_at: facts.lossAt.toISOString(),
    purged_at: iso(facts.purgedAt),
    regenerated_at: iso(facts.regeneratedAt),
    verified_at: iso(facts.verifiedAt),
    rto_seconds: a.rtoSeconds,
    rpo_seconds: a.rpoSeconds,
    targets: { rto_seconds: facts.targets.rtoSeconds, rpo_seconds: facts.targets.rpoSeconds },
    rows_at_loss: facts.rowsAtLoss,
    rows_purged: facts.rowsPurged,
    unexplained_rows: facts.unexplainedRows,
    batches_acknowledged: a.batchesAcknowledged,
    batches_restored: a.batchesRestored,
    batches_not_restored: a.batchesNotRestored,
    acknowledged_digest: a.acknowledgedDigest,
    verification: reportVerification(facts.verification),
    rpo_basis: a.rpoBasis,
  };
}

/**
 * The `dr` checklist item of a drill: passes only when the rows were verified value by value, the
 * RPO is bounded, and RTO and RPO are within their targets. A drill whose loss was never captured
 * (refused, or ended before its purge) fails.
 */
export function drCheck(drill: DrillEvidence, run: Pick<Run, "state">): CheckItem {
  const { facts, assessment: a } = drill;
  if (facts === null || a === null) {
    return {
      id: "dr",
      status: "fail",
      summary: `no loss was captured: the drill ended ${run.state} before its purge`,
      evidence: { loss_recorded: false, run_state: run.state },
    };
  }
  const evidence = {
    loss_at: facts.lossAt.toISOString(),
    verified_at: iso(facts.verifiedAt),
    rto_seconds: a.rtoSeconds,
    rpo_seconds: a.rpoSeconds,
    rto_target_seconds: a.targets.rtoSeconds,
    rpo_target_seconds: a.targets.rpoSeconds,
    verification_ok: facts.verification?.ok ?? null,
    rows_compared: facts.verification?.rowsCompared ?? null,
    differences: facts.verification?.differences ?? null,
    batches_acknowledged: a.batchesAcknowledged,
    batches_not_restored: a.batchesNotRestored,
    unexplained_rows: facts.unexplainedRows,
  };
  return {
    id: "dr",
    status: a.passed ? "pass" : "fail",
    summary: a.passed
      ? `RTO ${a.rtoSeconds} s (target ${a.targets.rtoSeconds} s), RPO ${a.rpoSeconds} s (target ${a.targets.rpoSeconds} s); ${facts.verification?.rowsCompared} rows verified value by value`
      : a.problems.join("; ").slice(0, 500),
    evidence,
  };
}
