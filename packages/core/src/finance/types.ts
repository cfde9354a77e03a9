/** A calendar date: days since 1970-01-01 (UTC) or an ISO date string ("2025-01-31"). */
export type DateInput = number | string;

/** Amortization systems. */
export const AmortizationMethod = {
  /** Tabela Price (French system): constant installment, PMT = P·i / (1 − (1 + i)^−n). */
  PRICE: "price",
  /** SAC (*Sistema de Amortização Constante*): constant principal P/n, interest on the balance. */
  SAC: "sac",
} as const;
export type AmortizationMethod = (typeof AmortizationMethod)[keyof typeof AmortizationMethod];

/** Borrower kind for IOF purposes (*mutuário*). */
export const Borrower = {
  /** Individual (*pessoa física*). */
  PF: "PF",
  /** Company (*pessoa jurídica*), general regime (Simples Nacional/MEI reduced rates are not modelled). */
  PJ: "PJ",
} as const;
export type Borrower = (typeof Borrower)[keyof typeof Borrower];

/** Inputs of an amortization schedule. */
export interface ScheduleOptions {
  /** Amount financed, in integer cents (> 0). */
  principalCents: number;
  /** Effective monthly rate as an exact decimal fraction ("0.02" is 2 % a month; 6–9 places typical). */
  monthlyRate: string;
  /** Number of monthly installments, 1–600. */
  termMonths: number;
  /** Due date of installment 1; installment k falls k − 1 calendar months later (day clamped to month end). */
  firstDueOn: DateInput;
}

/** One installment (*parcela*); every amount in integer cents. */
export interface Installment {
  /** 1-based installment number. */
  number: number;
  /** Due date, ISO "YYYY-MM-DD". */
  dueOn: string;
  /** Amortized principal (*amortização*). */
  principalCents: number;
  /** Interest for the month on the opening balance (*juros*). */
  interestCents: number;
  /** principalCents + interestCents (*prestação*). */
  totalCents: number;
  /** Outstanding principal after this installment (*saldo devedor*); 0 after the last. */
  balanceCents: number;
}

/** An amortization schedule with the terms that produced it. */
export interface LoanSchedule {
  method: AmortizationMethod;
  principalCents: number;
  monthlyRate: string;
  termMonths: number;
  installments: Installment[];
}

/** Inputs of the IOF computation. */
export interface IofOptions {
  borrower: Borrower;
  /** The schedule whose amortized principal amounts are taxed. */
  schedule: LoanSchedule;
  /** Contract (funds release) date; selects the rate table entry and starts every day count. */
  contractedOn: DateInput;
}

/** One IOF daily-rate term: an amortized principal taxed for `days` days. */
export interface IofTerm {
  number: number;
  dueOn: string;
  principalCents: number;
  /** Calendar days from contract to due date, capped at 365. */
  days: number;
}

/** IOF rates in force for contracts from a date on (decimal fractions: "0.000082" is 0.0082 %). */
export interface IofRateEntry {
  /** First contract date (inclusive, ISO) the entry applies to; it ends where the next begins. */
  from: string;
  dailyPF: string;
  dailyPJ: string;
  additionalPF: string;
  additionalPJ: string;
  /** Legal basis, for evidence. */
  basis: string;
}

/** IOF due on a credit operation, in integer cents. */
export interface IofResult {
  /** Daily-rate part: Σ principal_k × daily rate × min(days_k, 365), rounded once, half-even. */
  dailyCents: number;
  /** Additional flat part: principal × additional rate, rounded half-even. */
  additionalCents: number;
  /** dailyCents + additionalCents. */
  totalCents: number;
  terms: IofTerm[];
  /** The rate table entry applied. */
  rates: IofRateEntry;
}

/** Inputs of the CET computation. */
export interface CetOptions {
  principalCents: number;
  /** IOF financed or paid at t0 (deducted from the amount released). */
  iofCents: number;
  /** Fees and charges financed or paid at t0 (deducted from the amount released). */
  feesCents: number;
  schedule: LoanSchedule;
  contractedOn: DateInput;
}

/** Custo efetivo total, as exact decimal fractions ("0.268242" is 26.8242 % a year). */
export interface CetResult {
  /**
   * Annual CET, 6 places (the stored precision of `loans.cet_annual`), rounded once to nearest from
   * the solver's double: the IRR with exponents (days since t0)/365.
   */
  annual: string;
  /** Monthly equivalent (1 + annual)^(1/12) − 1 of the solver's annual rate (not the 6-place one), 8 places, nearest. */
  monthly: string;
  /** Solver iterations used (deterministic for the same inputs). */
  iterations: number;
}

/** The figures of a loan that are stored and re-verified to the cent. */
export interface LoanFigures {
  installments: readonly Installment[];
  iofCents: number;
  cetAnnual: string;
  cetMonthly: string;
}

/** Everything needed to compute a loan with the official routine. */
export interface LoanTerms extends ScheduleOptions {
  method: AmortizationMethod;
  borrower: Borrower;
  contractedOn: DateInput;
  /**
   * Fees financed or paid at t0, in cents.
   * @default 0
   */
  feesCents?: number;
}

/** A loan computed by the official routine. */
export interface Loan {
  schedule: LoanSchedule;
  iof: IofResult;
  cet: CetResult;
  figures: LoanFigures;
}
