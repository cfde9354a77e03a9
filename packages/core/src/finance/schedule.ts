import { SementeError } from "../errors/index.ts";
import { monthsFrom, toEpochDay, toIsoDate } from "./dates.ts";
import { parseRate, type Ratio, roundHalfEven, toSafeNumber } from "./decimal.ts";
import { assertCents } from "./money.ts";
import { priceBalances, pricePayment } from "./price-path.ts";
import type { AmortizationMethod, Installment, LoanSchedule, ScheduleOptions } from "./types.ts";

const MAX_TERM_MONTHS = 600;

interface Terms {
  principal: bigint;
  rate: Ratio;
  termMonths: number;
  /** addMonths(firstDueOn, m). */
  dueAfter: (months: number) => number;
}

/** A schedule and the due dates of its installments as epoch days, in the same order. */
export interface DatedSchedule {
  readonly schedule: LoanSchedule;
  readonly dueDays: readonly number[];
}

function readTerms(options: ScheduleOptions): Terms {
  assertCents(options.principalCents, "principalCents");
  if (options.principalCents <= 0) throw new SementeError("VALIDATION_FAILED", "principalCents must be positive");
  const { termMonths } = options;
  if (!Number.isInteger(termMonths) || termMonths < 1 || termMonths > MAX_TERM_MONTHS) {
    throw new SementeError("VALIDATION_FAILED", `termMonths must be an integer from 1 to ${MAX_TERM_MONTHS}`);
  }
  return {
    principal: BigInt(options.principalCents),
    rate: parseRate(options.monthlyRate, "monthlyRate"),
    termMonths,
    dueAfter: monthsFrom(toEpochDay(options.firstDueOn)),
  };
}

function installment(
  terms: Terms,
  dueDays: number[],
  k: number,
  principal: bigint,
  interest: bigint,
  balance: bigint,
): Installment {
  const due = terms.dueAfter(k - 1);
  dueDays.push(due);
  return {
    number: k,
    dueOn: toIsoDate(due),
    principalCents: toSafeNumber(principal, "principal"),
    interestCents: toSafeNumber(interest, "interest"),
    totalCents: toSafeNumber(principal + interest, "installment"),
    balanceCents: toSafeNumber(balance, "balance"),
  };
}

/** The schedule, refused when an installment would be zero (a principal of less than a cent a month). */
function scheduleOf(
  options: ScheduleOptions,
  method: AmortizationMethod,
  installments: Installment[],
  dueDays: number[],
): DatedSchedule {
  if (installments.some((row) => row.totalCents <= 0)) {
    throw new SementeError(
      "VALIDATION_FAILED",
      `an installment would be 0.00: principalCents ${options.principalCents} is too small for ${options.termMonths} months`,
    );
  }
  const { principalCents, monthlyRate, termMonths } = options;
  return { schedule: { method, principalCents, monthlyRate, termMonths, installments }, dueDays };
}

/**
 * Tabela Price. PMT = P·i / (1 − (1 + i)^−n), exactly P·a·E^n / (d·(E^n − d^n)) with i = a/d and
 * E = d + a, rounded half-even to the cent. The balance after installment k is the exact balance
 * of that payment stream, B_k = P·(E^n − E^k·d^(n−k)) / (E^n − d^n), rounded half-even to the
 * cent (never a balance compounded from rounded ones, so errors cannot grow with the term);
 * principal_k = b_(k−1) − b_k. Interest = PMT − principal_k, so every installment is PMT, except
 * that interest is never negative: where it would be (a principal one cent above PMT when the true
 * interest is below about a cent) interest is 0 and the installment is PMT + 1 cent. Interest stays
 * within 1 + (1 + i)/2 cents of balance × i (1.6 up to 15 % a month). At a zero rate
 * B_k = P·(n − k)/n and interest is 0.
 */
export function priceSchedule(options: ScheduleOptions): LoanSchedule {
  return datedPriceSchedule(options).schedule;
}

/** {@link priceSchedule} with its due dates as epoch days. */
export function datedPriceSchedule(options: ScheduleOptions): DatedSchedule {
  const terms = readTerms(options);
  const { principal: p, termMonths, rate } = terms;
  const payment = pricePayment(p, rate, termMonths);
  const installments: Installment[] = [];
  const dueDays: number[] = [];
  let previous = p;
  priceBalances(p, rate, termMonths).forEach((balance, index) => {
    const principal = previous - balance;
    const interest = rate.num === 0n || principal > payment ? 0n : payment - principal;
    installments.push(installment(terms, dueDays, index + 1, principal, interest, balance));
    previous = balance;
  });
  return scheduleOf(options, "price", installments, dueDays);
}

/**
 * SAC: constant amortization ⌊P/n⌋; the remainder r = P mod n goes one cent each to the first r
 * installments, so amortizations differ by at most one cent and never rise, and neither do
 * installments. Interest = opening balance × i, rounded half-even.
 */
export function sacSchedule(options: ScheduleOptions): LoanSchedule {
  return datedSacSchedule(options).schedule;
}

/** {@link sacSchedule} with its due dates as epoch days. */
export function datedSacSchedule(options: ScheduleOptions): DatedSchedule {
  const terms = readTerms(options);
  const { principal: p, termMonths } = terms;
  const { num: a, den: d } = terms.rate;
  const n = BigInt(termMonths);
  const base = p / n;
  const withExtra = p % n;
  const installments: Installment[] = [];
  const dueDays: number[] = [];
  let balance = p;
  for (let k = 1; k <= termMonths; k += 1) {
    const interest = roundHalfEven(balance * a, d);
    const principal = BigInt(k) <= withExtra ? base + 1n : base;
    balance -= principal;
    installments.push(installment(terms, dueDays, k, principal, interest, balance));
  }
  return scheduleOf(options, "sac", installments, dueDays);
}
