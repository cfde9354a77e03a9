/** The rules of an evidence report the JSON Schema cannot state: labels, evidence of passing items, DR, item counts. */
import type { ProblemIssue } from "@semente/core/errors";
import { hasEvidence } from "./checklist.ts";
import { CheckId, type EvidenceReport } from "./report-types.ts";

/**
 * Items every v1 report holds. `dataset` and `trace` are produced since issue 9 and optional in the
 * schema, so reports signed before them still verify.
 */
export const REQUIRED_CHECK_IDS: readonly CheckId[] = ["pii", "rls", "contracts", "idempotency", "rate_limit", "slo"];
/**
 * A drill report holds both the `dr` section and one `dr` item, and its item passes only on what
 * the section shows: verified rows, RTO and RPO measured and within their targets.
 */
function drIssues(r: EvidenceReport): ProblemIssue[] {
  const items = r.checklist.filter((c) => c.id === "dr");
  if (r.dr === undefined) {
    if (r.run.operation === "dr_drill")
      return [{ pointer: "/dr", message: "a DR drill's report must hold its 'dr' section" }];
    return items.length === 0 ? [] : [{ pointer: "/checklist", message: "a 'dr' item without the 'dr' section" }];
  }
  if (items.length !== 1) return [{ pointer: "/checklist", message: "a drill report must hold exactly one 'dr' item" }];
  const { dr } = r;
  const issues: ProblemIssue[] = [];
  if (dr.rto_seconds !== null && rtoDiffers(dr, dr.rto_seconds)) {
    issues.push({ pointer: "/dr/rto_seconds", message: "differs from verified_at - loss_at" });
  }
  if (items[0]?.status === "pass" && !drWithinTargets(dr)) {
    issues.push({
      pointer: "/dr",
      message: "the 'dr' item passes but the section shows no verified RTO/RPO within target",
    });
  }
  return issues;
}

type DrSection = NonNullable<EvidenceReport["dr"]>;

/** Verified rows, and RTO and RPO measured and within their targets. */
function drWithinTargets(dr: DrSection): boolean {
  return (
    dr.verification?.ok === true &&
    dr.targets !== null &&
    dr.rto_seconds !== null &&
    dr.rpo_seconds !== null &&
    dr.rto_seconds <= dr.targets.rto_seconds &&
    dr.rpo_seconds <= dr.targets.rpo_seconds
  );
}

/** The recorded RTO is not `verified_at - loss_at` (to the millisecond), or either time is missing. */
function rtoDiffers(dr: DrSection, rtoSeconds: number): boolean {
  const measured =
    dr.loss_at === null || dr.verified_at === null
      ? null
      : (Date.parse(dr.verified_at) - Date.parse(dr.loss_at)) / 1000;
  return measured === null || Math.abs(measured - rtoSeconds) > 0.001;
}

/** The rules the schema cannot state: labels equal the run's, passing items carry evidence, DR, item counts. */
export function ruleIssues(r: EvidenceReport): ProblemIssue[] {
  const issues: ProblemIssue[] = [];
  if (r.labels.tenant !== r.run.tenant) issues.push({ pointer: "/labels/tenant", message: "differs from run.tenant" });
  if (r.labels.environment !== r.run.environment) {
    issues.push({ pointer: "/labels/environment", message: "differs from run.environment" });
  }
  if (r.labels.run_id !== r.run.id) issues.push({ pointer: "/labels/run_id", message: "differs from run.id" });
  r.checklist.forEach((c, i) => {
    if (c.status === "pass" && !hasEvidence(c)) {
      issues.push({ pointer: `/checklist/${i}/evidence`, message: "a passing item must carry its evidence" });
    }
  });
  issues.push(...drIssues(r));
  issues.push(...itemCountIssues(r.checklist.map((c) => c.id)));
  return issues;
}

/** Exactly one item of each required id, at most one of the others. */
function itemCountIssues(ids: string[]): ProblemIssue[] {
  const issues: ProblemIssue[] = [];
  for (const id of Object.values(CheckId)) {
    const n = ids.filter((x) => x === id).length;
    const required = REQUIRED_CHECK_IDS.includes(id);
    if (required ? n !== 1 : n > 1) {
      issues.push({
        pointer: "/checklist",
        message: required ? `must hold exactly one '${id}' item` : `holds more than one '${id}' item`,
      });
    }
  }
  return issues;
}
