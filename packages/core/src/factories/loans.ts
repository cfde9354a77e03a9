import { weightedTable } from "../determinism/index.ts";
import { SementeError } from "../errors/index.ts";
import {
  annualFromMonthly,
  computeDatedLoan,
  computeLoan,
  formatMoney,
  type Loan,
  type LoanTerms,
  parseMoney,
  toEpochDay,
  verifyLoan,
} from "../finance/index.ts";
import { isoDay, isoInstant } from "./codes.ts";
import { idOf, isCompany, loanCustomer } from "./derived.ts";
import { installmentStatus, LoanField, type LoanTimeline, loanTimeline } from "./loan-timeline.ts";
import type { GenerationContext } from "./types.ts";

/** Loan products of the schema. */
export type LoanProduct = "personal" | "payroll" | "vehicle" | "mortgage" | "working_capital";

const PF_PRODUCTS = weightedTable([
  ["personal", 35],
  ["payroll", 30],
  ["vehicle", 20],
  ["mortgage", 15],
] as const);

/**
 * Principal (log-normal median and spread, bounds, in reais) and monthly rate band (in basis
 * points of 0.01 %) per product, in line with the BCB's published average rates per modality
 * (personal credit 3–6.5 % a month, payroll 1.4–2.1 %, vehicles 1.2–2.4 %, real estate 0.7–1.1 %,
 * working capital 1.3–3.5 %).
 */
const PRODUCT_TERMS: Record<
  LoanProduct,
  { median: number; sigma: number; min: number; max: number; rate: [number, number]; sac: number }
> = {
  personal: { median: 8_000, sigma: 0.8, min: 500, max: 100_000, rate: [250, 650], sac: 0.1 },
  payroll: { median: 15_000, sigma: 0.7, min: 1_000, max: 200_000, rate: [140, 210], sac: 0.1 },
  vehicle: { median: 60_000, sigma: 0.5, min: 10_000, max: 400_000, rate: [120, 240], sac: 0.15 },
  mortgage: { median: 350_000, sigma: 0.5, min: 80_000, max: 3_000_000, rate: [70, 110], sac: 0.8 },
  working_capital: { median: 150_000, sigma: 0.9, min: 10_000, max: 5_000_000, rate: [130, 350], sac: 0.2 },
};

/** `0.0250` for 250 basis points of 0.01 %: one string per rate, so caches keyed by it hash it once. */
const RATE_TEXT: string[] = [];
function rateText(bp: number): string {
  let text = RATE_TEXT[bp];
  if (text === undefined) {
    text = `0.${String(bp).padStart(4, "0")}`;
    RATE_TEXT[bp] = text;
  }
  return text;
}

/** Everything that defines loan k before the finance routine runs. */
export interface LoanPlan {
  readonly k: number;
  readonly customer: number;
  readonly product: LoanProduct;
  readonly timeline: LoanTimeline;
  readonly terms: LoanTerms;
}

/** The terms of loan k (customer k mod min(customers, accounts), product by customer kind). */
export function loanPlan(ctx: GenerationContext, k: number): LoanPlan {
  const s = ctx.streams.loans;
  const customer = loanCustomer(ctx, k);
  const company = isCompany(ctx, customer);
  const product: LoanProduct = company ? "working_capital" : s.weighted(k, LoanField.product, PF_PRODUCTS);
  const p = PRODUCT_TERMS[product];
  const reais = Math.min(p.max, Math.max(p.min, s.lognormal(k, LoanField.principal, Math.log(p.median), p.sigma)));
  const bp = s.int(k, LoanField.rate, p.rate[0], p.rate[1]);
  const timeline = loanTimeline(ctx, k);
  return {
    k,
    customer,
    product,
    timeline,
    terms: {
      method: s.chance(k, LoanField.amortization, p.sac) ? "sac" : "price",
      borrower: company ? "PJ" : "PF",
      principalCents: Math.round(reais / 10) * 1000,
      monthlyRate: rateText(bp),
      termMonths: ctx.term,
      firstDueOn: timeline.firstDueDay,
      contractedOn: timeline.contractedDay,
    },
  };
}

/** Loan k computed by the finance routine and re-verified, with its DB row. */
export interface ComputedLoan {
  readonly plan: LoanPlan;
  readonly loan: Loan;
  /** Due dates of `loan.schedule.installments` as epoch days, same order. */
  readonly dueDays: readonly number[];
  readonly row: unknown[];
}

/** Per-batch memo of the last loan computed (installments of one loan are consecutive ordinals). */
export interface LoanCache {
  last: ComputedLoan | undefined;
}

/**
 * The terms the stored row gives back, or undefined when they are the plan's own: the routine is
 * a pure function that reads its dates through toEpochDay, so the same cents, rate string and
 * days yield the same loan, and recomputing it would only repeat the first computation.
 */
function storedTerms(terms: LoanTerms, row: readonly unknown[]): LoanTerms | undefined {
  const stored = {
    ...terms,
    principalCents: parseMoney(row[6] as string),
    monthlyRate: row[8] as string,
    firstDueOn: row[13] as string,
    contractedOn: row[12] as string,
  };
  const same =
    stored.principalCents === terms.principalCents &&
    stored.monthlyRate === terms.monthlyRate &&
    toEpochDay(stored.firstDueOn) === toEpochDay(terms.firstDueOn) &&
    toEpochDay(stored.contractedOn) === toEpochDay(terms.contractedOn);
  return same ? undefined : stored;
}

/**
 * Computes loan k with the official routine, builds its row, then recomputes the loan from the
 * row's stored values (when they differ from the terms it was computed from) and verifies it to
 * the cent (FINANCE_DIVERGENCE otherwise). The stored `cet_annual` (numeric(9,6)) is the
 * routine's CET as written, already at 6 places.
 */
export function computeLoanRow(ctx: GenerationContext, k: number, cache?: LoanCache): ComputedLoan {
  if (cache?.last !== undefined && cache.last.plan.k === k) return cache.last;
  const plan = loanPlan(ctx, k);
  const { loan, dueDays } = computeDatedLoan(plan.terms);
  const t = plan.timeline;
  const row = [
    idOf(ctx, "loans", k),
    ctx.tenant,
    idOf(ctx, "customers", plan.customer),
    idOf(ctx, "bank_accounts", plan.customer),
    plan.product,
    plan.terms.method,
    formatMoney(plan.terms.principalCents),
    annualFromMonthly(plan.terms.monthlyRate, 6),
    plan.terms.monthlyRate,
    ctx.term,
    formatMoney(loan.figures.iofCents),
    loan.figures.cetAnnual,
    isoDay(t.contractedDay),
    isoDay(t.firstDueDay),
    t.state,
    isoInstant(t.contractedDay, ctx.streams.loans.int(k, LoanField.createdSecond, 10 * 3600, 18 * 3600)),
  ];
  const stored = storedTerms(plan.terms, row);
  const recomputed = stored === undefined ? loan : computeLoan(stored);
  verifyLoan(
    { ...loan.figures, iofCents: parseMoney(row[10] as string), cetAnnual: row[11] as string },
    recomputed.figures,
  );
  const computed = { plan, loan, dueDays, row };
  if (cache !== undefined) cache.last = computed;
  return computed;
}

/** Loan k's row. */
export function loanRow(ctx: GenerationContext, k: number, cache?: LoanCache): unknown[] {
  return computeLoanRow(ctx, k, cache).row;
}

/**
 * Installment i: loan ⌊i / term⌋, number (i mod term) + 1, amounts from that loan's verified
 * schedule (each stored amount is re-read and compared to the cent), status from the loan.
 */
export function installmentRow(ctx: GenerationContext, i: number, cache?: LoanCache): unknown[] {
  const k = Math.floor(i / ctx.term);
  const number = (i % ctx.term) + 1;
  const { loan, plan, dueDays, row: loanValues } = computeLoanRow(ctx, k, cache);
  const entry = loan.schedule.installments[number - 1];
  const dueDay = dueDays[number - 1];
  if (entry === undefined || entry.number !== number || dueDay === undefined) {
    throw new SementeError("FINANCE_DIVERGENCE", "installment missing from the loan schedule", {
      extensions: { field: "number", installment: number },
    });
  }
  const { status, paidDay } = installmentStatus(ctx, plan.timeline, number, dueDay);
  const values = [
    formatMoney(entry.principalCents),
    formatMoney(entry.interestCents),
    formatMoney(entry.totalCents),
    formatMoney(entry.balanceCents),
  ];
  if (
    parseMoney(values[0] as string) + parseMoney(values[1] as string) !== parseMoney(values[2] as string) ||
    parseMoney(values[2] as string) !== entry.totalCents
  ) {
    throw new SementeError("FINANCE_DIVERGENCE", "installment amounts differ from the schedule", {
      extensions: { field: "total_amount", installment: number },
    });
  }
  return [
    idOf(ctx, "installments", i),
    ctx.tenant,
    loanValues[0],
    number,
    entry.dueOn,
    values[0],
    values[1],
    values[2],
    values[3],
    status,
    paidDay === null ? null : isoDay(paidDay),
    loanValues[15],
  ];
}
