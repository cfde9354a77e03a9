import { SPEC_RPO_SECONDS, SPEC_RTO_SECONDS, type Manifest } from "@semente/core/manifest";
import { comparePlanOrder, runDatasetDigest } from "@semente/core/pipeline";

/** A batch the tenant held at the loss instant: the latest checkpoint of that entity and index. */
export interface AcknowledgedBatch {
  entity: string;
  batchIndex: number;
  /** 64 hex, as `seed.checkpoints` stores it. */
  digest: string;
  rows: number;
  committedAt: Date;
}

/** What the drill's verification phase established (never a value, only where things differ). */
export interface DrillVerification {
  ok: boolean;
  /** The database role the rows were read as. */
  role: string;
  rowsCompared: number;
  /** Row differences (missing, extra, differing values). */
  differences: number;
  /** Batches whose regenerated digest differs from the drill's checkpoint (or has none). */
  checkpointMismatches: number;
  /** The first differences, described without values. */
  first: string[];
}

/** The RTO/RPO targets a drill is judged against, in seconds. */
export interface DrillTargets {
  rtoSeconds: number;
  rpoSeconds: number;
}

/** The recorded facts of one drill (`seed.dr_drills`). */
export interface DrillFacts {
  runId: string;
  tenantId: string;
  environment: string;
  mode: string;
  lossAt: Date;
  acknowledged: AcknowledgedBatch[];
  rowsAtLoss: number;
  unexplainedRows: number;
  targets: DrillTargets;
  purgedAt: Date | null;
  rowsPurged: number | null;
  regeneratedAt: Date | null;
  verifiedAt: Date | null;
  verification: DrillVerification | null;
}

/** A batch the drill committed (its checkpoint). */
export interface RestoredBatch {
  entity: string;
  batchIndex: number;
  digest: string;
}

/** RTO, RPO and the verdict, derived from the facts (the planner and the evidence use this one function). */
export interface DrillAssessment {
  /** Loss → rows verified, in seconds (ms precision); null when the rows were not verified equal. */
  rtoSeconds: number | null;
  /** Acknowledged data lost, in seconds; null when it cannot be bounded (see {@link assessDrill}). */
  rpoSeconds: number | null;
  targets: DrillTargets;
  batchesAcknowledged: number;
  /** Acknowledged batches the drill committed again with the same digest. */
  batchesRestored: number;
  batchesNotRestored: number;
  /** Dataset digest of the acknowledged batches (what was lost), `sha256:<hex>`; null when none. */
  acknowledgedDigest: string | null;
  /** How the RPO was derived, one sentence. */
  rpoBasis: string;
  passed: boolean;
  /** Why it did not pass (empty when it passed). */
  problems: string[];
}

/**
 * The targets of a drill: the manifest's `dr_targets`, each capped by the spec's (R6.8:
 * RTO ≤ 3,600 s, RPO ≤ 300 s), which also stand in for an absent field.
 */
export function drillTargets(manifest: Pick<Manifest, "dr_targets">): DrillTargets {
  return {
    rtoSeconds: Math.min(manifest.dr_targets?.rto_seconds ?? SPEC_RTO_SECONDS, SPEC_RTO_SECONDS),
    rpoSeconds: Math.min(manifest.dr_targets?.rpo_seconds ?? SPEC_RPO_SECONDS, SPEC_RPO_SECONDS),
  };
}

const seconds = (from: Date, to: Date): number => Math.round(to.getTime() - from.getTime()) / 1000;

function notRestored(facts: DrillFacts, restored: readonly RestoredBatch[]): AcknowledgedBatch[] {
  const committed = new Map(restored.map((b) => [`${b.entity}/${b.batchIndex}`, b.digest.replace(/^sha256:/, "")]));
  return facts.acknowledged.filter((a) => committed.get(`${a.entity}/${a.batchIndex}`) !== a.digest);
}

/** The RPO and the sentence that derives it; null when verification did not establish the restore. */
function deriveRpo(facts: DrillFacts, lost: readonly AcknowledgedBatch[]): { rpo: number | null; basis: string } {
  if (facts.verification === null || !facts.verification.ok) {
    return { rpo: null, basis: "not established: the regenerated rows were not verified equal to the manifest" };
  }
  if (facts.unexplainedRows > 0) {
    return {
      rpo: null,
      basis: `unbounded: ${facts.unexplainedRows} row(s) held at the loss were explained by no checkpoint, so they are not re-derivable and their write time is unknown`,
    };
  }
  if (lost.length > 0) {
    const oldest = lost.reduce((a, b) => (a.committedAt <= b.committedAt ? a : b));
    return {
      rpo: Math.max(0, seconds(oldest.committedAt, facts.lossAt)),
      basis: `${lost.length} acknowledged batch(es) were not regenerated identically; the oldest was committed ${seconds(oldest.committedAt, facts.lossAt)} s before the loss`,
    };
  }
  return {
    rpo: 0,
    basis:
      facts.acknowledged.length === 0
        ? "0 s: the tenant held no acknowledged batch at the loss, so nothing could be lost"
        : `0 s: every one of the ${facts.acknowledged.length} acknowledged batch(es) was regenerated with the same digest from (manifest, key version), and no row outside them was held`,
  };
}

/**
 * Derives RTO and RPO from a drill's facts and the drill's own checkpoints.
 *
 * RTO = verified_at − loss_at: from the instant the tenant's data was captured and purged to the
 * instant its regenerated rows were verified value by value. Null unless verification passed.
 *
 * RPO for a deterministic dataset: every row is a pure function of (manifest, tenant, entity,
 * ordinal, key version), so the acknowledged data — the batches whose checkpoints were committed
 * when the loss happened — is lost only if it cannot be derived again. The drill proves it was:
 * each acknowledged batch is compared with the batch the drill committed at the same place (same
 * digest), and the rows are verified against the regenerated dataset. Then RPO = 0 s. A batch not
 * regenerated identically (the data came from another manifest or key version) is lost; the RPO
 * is then the age at the loss of the oldest such batch (everything acknowledged since is suspect).
 * Rows that no checkpoint explains were written outside Semente: not re-derivable, their write
 * time unknown, so the RPO is unbounded (null) and the drill fails.
 */
export function assessDrill(facts: DrillFacts, restored: readonly RestoredBatch[]): DrillAssessment {
  const lost = notRestored(facts, restored);
  const { rpo, basis } = deriveRpo(facts, lost);
  const verified = facts.verification?.ok === true && facts.verifiedAt !== null;
  const rto = verified ? seconds(facts.lossAt, facts.verifiedAt as Date) : null;
  const problems: string[] = [];
  if (facts.verification === null) problems.push("the regenerated rows were not verified");
  else if (!facts.verification.ok) {
    problems.push(
      `verification failed: ${facts.verification.differences} row difference(s), ${facts.verification.checkpointMismatches} checkpoint mismatch(es)`,
    );
  }
  if (rto !== null && rto > facts.targets.rtoSeconds) {
    problems.push(`RTO ${rto} s over the target of ${facts.targets.rtoSeconds} s`);
  }
  if (rpo === null && verified) problems.push(`RPO ${basis}`);
  if (rpo !== null && rpo > facts.targets.rpoSeconds) {
    problems.push(`RPO ${rpo} s over the target of ${facts.targets.rpoSeconds} s`);
  }
  const acknowledged = [...facts.acknowledged].sort(comparePlanOrder);
  return {
    rtoSeconds: rto,
    rpoSeconds: rpo,
    targets: facts.targets,
    batchesAcknowledged: facts.acknowledged.length,
    batchesRestored: facts.acknowledged.length - lost.length,
    batchesNotRestored: lost.length,
    acknowledgedDigest: runDatasetDigest(acknowledged),
    rpoBasis: basis,
    passed: problems.length === 0 && rto !== null && rpo !== null,
    problems,
  };
}
