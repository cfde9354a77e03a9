import type { Sql } from "../db/index.ts";
import type { ReportCost, ReportLedger, ReportPause } from "./report-types.ts";

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

/** A row of `seed.run_pauses`. */
export interface PauseFact {
  reason: string;
  pausedAt: Date;
  resumedAt: Date | null;
}

/** A row of `seed.budget_ledger`. */
export interface LedgerFact {
  kind: string;
  amount: number;
  recordedAt: Date;
  ratio: number | null;
}

/** The run's pauses (`seed.run_pauses`), oldest first. */
export async function readPauses(sql: Sql, runId: string): Promise<PauseFact[]> {
  const rows = await sql<{ reason: string; paused_at: Date; resumed_at: Date | null }[]>`
    select reason, paused_at, resumed_at from seed.run_pauses where run_id = ${runId} order by paused_at, id`;
  return rows.map((r) => ({ reason: r.reason, pausedAt: r.paused_at, resumedAt: r.resumed_at }));
}

/** The run's FinOps ledger (`seed.budget_ledger`), oldest first. */
export async function readLedger(sql: Sql, runId: string): Promise<LedgerFact[]> {
  const rows = await sql<{ kind: string; amount: string; recorded_at: Date; ratio: string | null }[]>`
    select kind, amount::text, recorded_at, details ->> 'ratio' as ratio
      from seed.budget_ledger where run_id = ${runId} order by recorded_at, id`;
  return rows.map((r) => ({
    kind: r.kind,
    amount: Number(r.amount),
    recordedAt: r.recorded_at,
    ratio: r.ratio === null ? null : Number(r.ratio),
  }));
}

/**
 * Milliseconds of `pause` that fall inside [`from`, `until`]. A pause still open when the run ended
 * (a run cancelled or failed while paused) lasts until `until`.
 */
function pausedWithin(pause: PauseFact, from: Date, until: Date): number {
  const start = Math.max(pause.pausedAt.getTime(), from.getTime());
  const end = Math.min((pause.resumedAt ?? until).getTime(), until.getTime());
  return Math.max(0, end - start);
}

/** Report entries of the pauses; `duration_s` is null for a pause that never closed. */
export function reportPauses(pauses: readonly PauseFact[]): ReportPause[] {
  return pauses.map((p) => ({
    reason: p.reason,
    paused_at: p.pausedAt.toISOString(),
    resumed_at: p.resumedAt === null ? null : p.resumedAt.toISOString(),
    duration_s: p.resumedAt === null ? null : round6((p.resumedAt.getTime() - p.pausedAt.getTime()) / 1000),
  }));
}

/**
 * Seconds the run spent running: from `startedAt` to `finishedAt` minus its pauses (paused time is
 * not charged, as in the planner's live budget). Null without both times.
 */
export function runningSeconds(startedAt: Date | null, finishedAt: Date | null, pauses: readonly PauseFact[]) {
  if (startedAt === null || finishedAt === null) return { runningS: null, pausedS: 0 };
  const total = Math.max(0, finishedAt.getTime() - startedAt.getTime());
  const paused = Math.min(
    total,
    pauses.reduce((sum, p) => sum + pausedWithin(p, startedAt, finishedAt), 0),
  );
  return { runningS: (total - paused) / 1000, pausedS: round6(paused / 1000) };
}

/** The ledger as the report shows it; null when the run accrued nothing (dry run, no cost model). */
export function reportLedger(ledger: readonly LedgerFact[], evidenceReserve: number): ReportLedger | null {
  if (ledger.length === 0) return null;
  const once = (kind: string) => ledger.find((l) => l.kind === kind);
  const measurements = ledger.filter((l) => l.kind === "measurement");
  const measured = measurements.reduce((sum, l) => sum + l.amount, 0);
  const event = (l: LedgerFact | undefined) =>
    l === undefined ? null : { amount: l.amount, ratio: l.ratio, recorded_at: l.recordedAt.toISOString() };
  return {
    estimate: once("estimate")?.amount ?? null,
    measurements: measurements.length,
    measured: round6(measured + evidenceReserve),
    alert: event(once("alert")),
    abort: event(once("abort")),
  };
}

/**
 * Estimate vs measured: what the report measured minus the estimate, and minus what the planner
 * accrued live in the ledger (both include the evidence reserve). Null when a figure is missing.
 */
export function reconcile(
  cost: Pick<ReportCost, "estimated" | "measured">,
  ledger: ReportLedger | null,
  pausedS: number,
): ReportCost["reconciliation"] {
  if (cost.estimated === null || cost.measured === null) return null;
  return {
    measured_minus_estimated: round6(cost.measured - cost.estimated),
    measured_minus_ledger: ledger === null ? null : round6(cost.measured - ledger.measured),
    paused_s: pausedS,
  };
}
