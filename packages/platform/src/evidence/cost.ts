import { type CostModel, ENTITIES, estimateCost, type Manifest, parseTtlSeconds } from "@semente/core/manifest";
import { type LedgerFact, reconcile, reportLedger } from "./governance.ts";
import type { ReportCost } from "./report-types.ts";

// The report's cost section: estimated (the manifest against the cost model), measured (rows
// written, storage for the TTL, compute for the running time, the report itself), and the
// planner's ledger reconciled with both.

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;
const SECONDS_PER_MONTH = 30 * 24 * 3600;

export function costOf(
  manifest: Manifest | null,
  model: CostModel | undefined,
  written: Map<string, number>,
  runningS: number | null,
): ReportCost {
  const empty: ReportCost = {
    currency: manifest?.budget.currency ?? null,
    budget: manifest?.budget.max_cost ?? null,
    estimated: null,
    measured: null,
    ratio: null,
    breakdown: null,
    note: null,
  };
  if (manifest === null) return { ...empty, note: "the run's manifest is not a valid v1 manifest" };
  if (model === undefined) return { ...empty, note: "no cost model configured" };
  if (model.currency !== manifest.budget.currency)
    return { ...empty, note: "budget currency differs from the cost model" };
  const estimated = estimateCost(manifest, model).total;
  const months = (parseTtlSeconds(manifest.ttl[manifest.mode]) ?? 0) / SECONDS_PER_MONTH;
  let rows = 0;
  let storage = 0;
  for (const entity of ENTITIES) {
    const n = written.get(entity) ?? 0;
    rows += (n / 1000) * model.entities[entity].per_1k_rows;
    storage += ((n * model.entities[entity].avg_row_bytes) / 1e9) * months * model.storage.per_gb_month;
  }
  const compute = ((runningS ?? 0) / 60) * model.compute.per_minute;
  const evidence = model.evidence.per_report;
  const measured = round6(rows + storage + compute + evidence);
  return {
    ...empty,
    estimated,
    measured,
    ratio: round6(measured / manifest.budget.max_cost),
    breakdown: { rows: round6(rows), storage: round6(storage), evidence: round6(evidence), compute: round6(compute) },
    note: runningS === null ? "compute not measured: the run has no start or end time" : null,
  };
}

/** The cost with the ledger the planner accrued and the reconciliation of the figures. */
export function reconciledCost(
  cost: ReportCost,
  ledger: readonly LedgerFact[],
  model: CostModel | undefined,
  pausedS: number,
): ReportCost {
  const fromLedger = reportLedger(ledger, model?.evidence.per_report ?? 0);
  return { ...cost, ledger: fromLedger, reconciliation: reconcile(cost, fromLedger, pausedS) };
}
