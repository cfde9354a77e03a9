/** What the checklist is computed from, and the shape of an item that cannot apply. */
import type { Manifest } from "@semente/core/manifest";
import type { Run } from "../runs/index.ts";
import type { DrillEvidence } from "./drill.ts";
import type { AuditFact, BatchFact, CheckpointFact } from "./facts.ts";
import type { CheckItem, ReportPurge } from "./report-types.ts";

/** Everything the checklist is computed from. */
export interface ChecklistInput {
  run: Run;
  manifest: Manifest | null;
  checkpoints: CheckpointFact[];
  batches: BatchFact[];
  audit: AuditFact[];
  /** Run duration in seconds (started → finished), when both are known. */
  durationS: number | null;
  /**
   * 429 answers the gateway audited (`http.refuse`, reason RATE_LIMITED) for the run's principal
   * and tenant between its creation and its end; null when the audit was not read.
   */
  gateway429s: number | null;
  /** The report's dataset section. */
  dataset: { digest: string | null; recorded_digest: string | null; checkpoints: number };
  /** The report's trace section. */
  trace: { trace_id: string | null; span_ids: string[] };
  /** A DR drill's facts; absent (or null) for every other run, which gets no `dr` item. */
  drill?: DrillEvidence | null;
  /** The purge phase of a purge or reseed run; null or absent for a seed run. */
  purge?: ReportPurge | null;
}

/** An item that cannot apply to this run, and why. */
export const na = (id: CheckItem["id"], reason: string): CheckItem => ({
  id,
  status: "not_applicable",
  summary: reason,
  evidence: { reason },
});
