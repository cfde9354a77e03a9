export { cet } from "./cet.ts";
export { addMonths, daysBetween, daysInMonth, monthsFrom, toEpochDay, toIsoDate } from "./dates.ts";
export { iof } from "./iof.ts";
export { IOF_CREDIT_RATES, iofRatesOn } from "./iof-rates.ts";
export { computeDatedLoan, computeLoan } from "./loan.ts";
export { assertCents, formatMoney, parseMoney } from "./money.ts";
export { annualFromMonthly, monthlyFromAnnual } from "./rates.ts";
export { priceSchedule, sacSchedule } from "./schedule.ts";
export { AmortizationMethod, Borrower } from "./types.ts";
export { verifyLoan } from "./verify.ts";
export type {
  CetOptions,
  CetResult,
  DateInput,
  Installment,
  IofOptions,
  IofRateEntry,
  IofResult,
  IofTerm,
  Loan,
  LoanFigures,
  LoanSchedule,
  LoanTerms,
  ScheduleOptions,
} from "./types.ts";
