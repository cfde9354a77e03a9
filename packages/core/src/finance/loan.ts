import { cet } from "./cet.ts";
import { iof } from "./iof.ts";
import { assertCents } from "./money.ts";
import { priceSchedule, sacSchedule } from "./schedule.ts";
import type { Loan, LoanTerms } from "./types.ts";

/** Computes a loan with the official routine: schedule, IOF and CET (IOF and fees released at t0). */
export function computeLoan(terms: LoanTerms): Loan {
  const feesCents = terms.feesCents ?? 0;
  assertCents(feesCents, "feesCents");
  const schedule = terms.method === "sac" ? sacSchedule(terms) : priceSchedule(terms);
  const tax = iof({ borrower: terms.borrower, schedule, contractedOn: terms.contractedOn });
  const cost = cet({
    principalCents: terms.principalCents,
    iofCents: tax.totalCents,
    feesCents,
    schedule,
    contractedOn: terms.contractedOn,
  });
  return {
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
}
