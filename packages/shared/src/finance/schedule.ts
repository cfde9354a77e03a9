import { SementeError } from "../errors/index.ts";
import { addMonths, toEpochDay, toIsoDate } from "./dates.ts";
import { parseRate, type Ratio, roundHalfEven, toSafeNumber } from "./decimal.ts";
import { assertCents } from "./money.ts";
import type { Installment, LoanSchedule, ScheduleOptions } from "./types.ts";

const MAX_TERM_MONTHS = 600;

interface Terms {
  principal: bigint;
  rate: Ratio;
  termMonths: number;
  firstDueOn: number;
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
    firstDueOn: toEpochDay(options.firstDueOn),
  };
}

/** Builds installments from a rule giving the principal part of installment k (the last takes the balance). */
function buildInstallments(terms: Terms, principalOf: (k: number, interest: bigint) => bigint): Installment[] {
  const installments: Installment[] = [];
  let balance = terms.principal;
  for (let k = 1; k <= terms.termMonths; k += 1) {
    const interest = roundHalfEven(balance * terms.rate.num, terms.rate.den);
    const wanted = principalOf(k, interest);
    const amortized = k === terms.termMonths ? balance : wanted < 0n ? 0n : wanted > balance ? balance : wanted;
    balance -= amortized;
    installments.push({
      number: k,
      dueOn: toIsoDate(addMonths(terms.firstDueOn, k - 1)),
      principalCents: toSafeNumber(amortized, "principal"),
      interestCents: toSafeNumber(interest, "interest"),
      totalCents: toSafeNumber(amortized + interest, "installment"),
      balanceCents: toSafeNumber(balance, "balance"),
    });
  }
  return installments;
}

/**
 * Tabela Price: PMT = P·i / (1 − (1 + i)^−n) computed exactly as P·a·B^n / (d·(B^n − d^n)) with
 * i = a/d and B = d + a, rounded half-even to the cent. Interest = balance × i rounded half-even;
 * principal = PMT − interest; the last installment takes the residual balance, so principal sums
 * to P exactly and the balance ends at 0 (its total may differ from PMT by a few cents).
 */
export function priceSchedule(options: ScheduleOptions): LoanSchedule {
  const terms = readTerms(options);
  const { num: a, den: d } = terms.rate;
  const n = BigInt(terms.termMonths);
  let payment: bigint;
  if (a === 0n) {
    payment = roundHalfEven(terms.principal, n);
  } else {
    const grown = (d + a) ** n;
    payment = roundHalfEven(terms.principal * a * grown, d * (grown - d ** n));
  }
  return {
    method: "price",
    principalCents: options.principalCents,
    monthlyRate: options.monthlyRate,
    termMonths: terms.termMonths,
    installments: buildInstallments(terms, (_k, interest) => payment - interest),
  };
}

/**
 * SAC: constant amortization ⌊P/n⌋; the remainder r = P mod n goes one cent each to the last r
 * installments (amortizations differ by at most one cent, and rise, never fall). Interest =
 * opening balance × i, rounded half-even.
 */
export function sacSchedule(options: ScheduleOptions): LoanSchedule {
  const terms = readTerms(options);
  const n = BigInt(terms.termMonths);
  const base = terms.principal / n;
  const firstWithExtra = terms.termMonths - Number(terms.principal % n) + 1;
  return {
    method: "sac",
    principalCents: options.principalCents,
    monthlyRate: options.monthlyRate,
    termMonths: terms.termMonths,
    installments: buildInstallments(terms, (k) => (k >= firstWithExtra ? base + 1n : base)),
  };
}
