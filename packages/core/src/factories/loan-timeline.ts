import { addBusinessEpochDays, isBusinessEpochDay, parseReferenceDatetime, toEpochDay } from "../determinism/index.ts";
import { addMonths } from "../finance/index.ts";
import type { Manifest } from "../manifest/types.ts";
import { stateCounts, stateIndexOfRank, stateRank } from "./states.ts";
import type { GenerationContext, Spread } from "./types.ts";

/** Loan states, in the rank-block order of `ENTITY_STATES.loans`, then the happy state. */
export const LOAN_STATES = ["defaulted", "cancelled", "paid"] as const;
export type LoanState = (typeof LOAN_STATES)[number] | "active";

/** Field numbers of the loans stream (one per independent draw). */
export const LoanField = {
  elapsed: 1,
  day: 2,
  defaultedPaid: 3,
  product: 4,
  amortization: 5,
  principal: 6,
  rate: 7,
  createdSecond: 8,
} as const;

/** The dates and state of loan k, shared by loans, installments, contracts and transactions. */
export interface LoanTimeline {
  readonly state: LoanState;
  /** Rank in the loans' state permutation (= k without a distribution). */
  readonly rank: number;
  /** Leading installments paid before the loan defaulted or was cancelled (0 for active and paid loans). */
  readonly paidCount: number;
  readonly contractedDay: number;
  readonly firstDueDay: number;
}

/** The business day on or before `day`. */
export function businessDayOnOrBefore(day: number): number {
  return isBusinessEpochDay(day) ? day : addBusinessEpochDays(day, -1);
}

function share(spread: Spread, r: number): number {
  return spread.base + (r < spread.rem ? 1 : 0);
}

/**
 * Installments a defaulted (or cancelled) loan of this rank paid first. Without an installments
 * distribution a defaulted loan stopped paying after a drawn number of installments and a
 * cancelled loan paid none; with one, the distribution's exact count is spread over those loans.
 */
export function paidCountOf(ctx: GenerationContext, state: LoanState, rank: number): number {
  const plan = ctx.installments;
  if (state === "defaulted") {
    const spread = plan.overduePerDefaulted;
    return spread === undefined
      ? ctx.streams.loans.int(rank, LoanField.defaultedPaid, 0, ctx.term - 1)
      : ctx.term - share(spread, rank);
  }
  if (state === "cancelled") {
    const spread = plan.cancelledPerCancelled;
    return spread === undefined ? 0 : ctx.term - share(spread, rank - plan.defaultedLoans);
  }
  return 0;
}

/**
 * The timeline of loan k. `elapsed` (installments due before the reference date) is drawn in
 * [0, min(term, 24) − 1] (contracts at most 24 months old), except: a defaulted loan is three
 * installments past its last payment (90 days, the default threshold of CMN Resolution
 * 2.682/1999), a cancelled loan was cancelled right after its last paid installment, a paid loan
 * has at least one installment due, and an active loan holding a chosen overdue installment is
 * old enough for that installment to be past due. The contract falls 10–27 days before the
 * elapsed-th monthly anniversary (rolled to a business day), so installment n is past due
 * exactly when n ≤ elapsed, with slack for month lengths and holidays.
 */
export function loanTimeline(ctx: GenerationContext, k: number): LoanTimeline {
  const stream = ctx.streams.loans;
  const plan = ctx.states.loans;
  const rank = plan === undefined ? k : stateRank(plan, k);
  const s = plan === undefined ? -1 : stateIndexOfRank(plan, rank);
  const state: LoanState = s < 0 ? "active" : (LOAN_STATES[s] as LoanState);
  const horizon = Math.min(ctx.term, 24);
  let elapsed = stream.int(k, LoanField.elapsed, 0, horizon - 1);
  const paidCount = paidCountOf(ctx, state, rank);
  if (state === "defaulted") elapsed = Math.min(ctx.term, paidCount + 3);
  else if (state === "cancelled" && paidCount > 0) elapsed = paidCount;
  else if (state === "paid") elapsed = Math.max(1, elapsed);
  else if (state === "active") elapsed = Math.max(elapsed, lastChosenOverdue(ctx, rank));
  const anniversary = addMonths(ctx.refDay, -elapsed);
  const daysBefore = stream.int(k, LoanField.day, 10, MAX_DAYS_BEFORE_ANNIVERSARY);
  const contractedDay = addBusinessEpochDays(anniversary - daysBefore, 0);
  return { state, rank, paidCount, contractedDay, firstDueDay: addMonths(contractedDay, 1) };
}

/** Days before the elapsed-th monthly anniversary a contract may fall, at most (see {@link loanTimeline}). */
const MAX_DAYS_BEFORE_ANNIVERSARY = 27;

/**
 * The most installments a loan of this manifest can have due before the reference date (its
 * `elapsed` in {@link loanTimeline}), from the states its loans and installments will hold:
 * min(term, 24) − 1 for active loans; at least 1 when a loan is paid; term − 1 when a cancelled loan
 * paid installments first; the whole term when a loan defaults or an active loan holds an overdue
 * installment of the plan. It bounds the draws, which may all stay below it.
 */
export function maxLoanAgeMonths(manifest: Manifest): number {
  const term = manifest.volumetry.loans.term_months;
  const loans = manifest.volumetry.loans.count;
  const given = manifest.mode === "baseline" ? undefined : manifest.state_distribution;
  const states = given?.loans;
  const [defaulted = 0, cancelled = 0, paid = 0] =
    states === undefined ? [] : stateCounts([states.defaulted ?? 0, states.cancelled ?? 0, states.paid ?? 0], loans);
  const byInstallment = given?.installments;
  const overdue =
    byInstallment === undefined
      ? 0
      : (stateCounts([byInstallment.overdue ?? 0, byInstallment.cancelled ?? 0], loans * term)[0] ?? 0);
  if (defaulted > 0 || overdue > 0) return term;
  let months = Math.min(term, 24) - 1;
  if (cancelled > 0 && byInstallment !== undefined) months = Math.max(months, term - 1);
  if (paid > 0) months = Math.max(months, 1);
  return months;
}

/**
 * The earliest contract date (epoch day) any loan of this manifest can have: {@link maxLoanAgeMonths}
 * monthly anniversaries and 27 days before the reference date, rolled to a business day as
 * {@link loanTimeline} does; undefined when the manifest has no loans.
 */
export function earliestLoanContractDay(manifest: Manifest): number | undefined {
  if (manifest.volumetry.loans.count === 0) return undefined;
  const refDay = toEpochDay(parseReferenceDatetime(manifest.reference_datetime));
  const anniversary = addMonths(refDay, -maxLoanAgeMonths(manifest));
  return addBusinessEpochDays(anniversary - MAX_DAYS_BEFORE_ANNIVERSARY, 0);
}

/** Highest installment number of an active loan chosen as overdue by the installment plan (0 if none). */
function lastChosenOverdue(ctx: GenerationContext, rank: number): number {
  const plan = ctx.installments;
  if (plan.permutation === undefined || plan.extraOverdue === 0) return 0;
  const base = (rank - plan.nonActive) * ctx.term;
  for (let j = ctx.term - 1; j >= 0; j--) {
    if (plan.permutation.forward(base + j) < plan.extraOverdue) return j + 1;
  }
  return 0;
}

/** Installment statuses. */
export type InstallmentStatus = "open" | "paid" | "overdue" | "cancelled";

/**
 * Status and payment day of installment `number` (1-based) of a loan, consistent with the loan:
 * cancelled loan → the installments paid before the cancellation stay paid, every later one is
 * cancelled; paid loan → every installment paid (those not
 * yet due were settled early, on the last business day before the reference date); defaulted
 * loan → the first installments paid, every later one overdue (the contract's acceleration
 * clause, *vencimento antecipado*, makes the whole balance due); active loan → past-due paid,
 * future open, except the installments the plan chose as overdue or cancelled (renegotiated).
 */
export function installmentStatus(
  ctx: GenerationContext,
  loan: LoanTimeline,
  number: number,
  dueDay: number,
): { status: InstallmentStatus; paidDay: number | null } {
  switch (loan.state) {
    case "cancelled":
      return number <= loan.paidCount
        ? { status: "paid", paidDay: businessDayOnOrBefore(dueDay) }
        : { status: "cancelled", paidDay: null };
    case "paid":
      return {
        status: "paid",
        paidDay: dueDay < ctx.refDay ? businessDayOnOrBefore(dueDay) : businessDayOnOrBefore(ctx.refDay - 1),
      };
    case "defaulted":
      return number <= loan.paidCount
        ? { status: "paid", paidDay: businessDayOnOrBefore(dueDay) }
        : { status: "overdue", paidDay: null };
    case "active":
      return activeInstallmentStatus(ctx, loan, number, dueDay);
  }
}

/** An active loan's installment: overdue or cancelled when the plan chose it, else paid when past due, else open. */
function activeInstallmentStatus(
  ctx: GenerationContext,
  loan: LoanTimeline,
  number: number,
  dueDay: number,
): { status: InstallmentStatus; paidDay: number | null } {
  const plan = ctx.installments;
  if (plan.permutation !== undefined) {
    const r = plan.permutation.forward((loan.rank - plan.nonActive) * ctx.term + number - 1);
    if (r < plan.extraOverdue) return { status: "overdue", paidDay: null };
    if (r < plan.extraOverdue + plan.extraCancelled) return { status: "cancelled", paidDay: null };
  }
  return dueDay < ctx.refDay
    ? { status: "paid", paidDay: businessDayOnOrBefore(dueDay) }
    : { status: "open", paidDay: null };
}
