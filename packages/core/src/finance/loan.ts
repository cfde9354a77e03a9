import { cetOfDays } from "./cet.ts";
import { iofOfDays } from "./iof.ts";
import { assertCents } from "./money.ts";
import { datedPriceSchedule, datedSacSchedule } from "./schedule.ts";
import type { Loan, LoanTerms } from "./types.ts";

/** Computes a loan with the official routine: schedule, IOF and CET (IOF and fees released at t0). */
export function computeLoan(terms: LoanTerms): Loan {
  return computeDatedLoan(terms).loan;
}

/** {@link computeLoan}, with the due dates of its installments as epoch days (same order). */
export function computeDatedLoan(terms: LoanTerms): { loan: Loan; dueDays: readonly number[] } {
  const feesCents = terms.feesCents ?? 0;
  assertCents(feesCents, "feesCents");
  // The schedule's due dates as epoch days go along, so IOF and CET need not re-read its ISO dates.
  const { schedule, dueDays } = terms.method === "sac" ? datedSacSchedule(terms) : datedPriceSchedule(terms);
  const tax = iofOfDays({ borrower: terms.borrower, schedule, contractedOn: terms.contractedOn }, dueDays);
  const cost = cetOfDays(
    {
      principalCents: terms.principalCents,
      iofCents: tax.totalCents,
      feesCents,
      schedule,
      contractedOn: terms.contractedOn,
    },
    dueDays,
  );
  const loan = {
    schedule,
    iof: tax,
    cet: cost,
    figures: {
      installments: schedule.installments,
      iofCents: tax.totalCents,
      cetAnnual: cost.annual,
      cetMonthly: cost.monthly,
    },
  };
  return { loan, dueDays };
}
