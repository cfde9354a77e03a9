import { addBusinessEpochDays, weightedTable } from "../determinism/index.ts";
import { formatMoney } from "../finance/index.ts";
import { categoryEntry } from "./catalog.ts";
import { accountCheckDigit, branchCode, isoDay, isoInstant } from "./codes.ts";
import { CREDIT_PRODUCTS } from "./context.ts";
import { customerBranch, idOf, isCompany, loanCustomer } from "./derived.ts";
import { businessDayOnOrBefore, loanTimeline } from "./loan-timeline.ts";
import { stateOf } from "./states.ts";
import type { GenerationContext } from "./types.ts";

/** Account number of account a: 8 digits from a keyed permutation, unique per tenant by construction. */
export function accountNumber(ctx: GenerationContext, a: number): string {
  return String(10_000_000 + ctx.accountNumbers.forward(a));
}

/**
 * Bank account a: customer a mod customers, category a mod categories (which fixes the kind),
 * branch of the customer's consultant. Closed accounts have a zero balance and a closing date;
 * checking accounts may carry an overdraft limit and a negative balance within it.
 */
export function bankAccountRow(ctx: GenerationContext, a: number): unknown[] {
  const s = ctx.streams.bank_accounts;
  const j = a % ctx.counts.customers;
  const kind = categoryEntry(a % ctx.counts.account_categories).kind;
  const status = stateOf(ctx.states.bank_accounts, a, "active");
  const opened = businessDayOnOrBefore(ctx.refDay - s.int(a, 1, 60, 3650));
  const closed = status === "closed" ? opened + s.int(a, 2, 1, ctx.refDay - opened) : null;
  const scale = isCompany(ctx, j) ? 20 : 1;
  const overdraft =
    kind === "checking" && status !== "closed" && s.chance(a, 3, 0.6)
      ? Math.round(s.lognormal(a, 4, Math.log(2_000 * scale), 0.6)) * 100
      : 0;
  let balance = 0;
  if (status !== "closed") {
    balance =
      overdraft > 0 && s.chance(a, 5, 0.15)
        ? -s.int(a, 6, 1, overdraft)
        : Math.round(s.lognormal(a, 7, Math.log(2_500 * scale), 1.2) * 100);
  }
  const number = accountNumber(ctx, a);
  return [
    idOf(ctx, "bank_accounts", a),
    ctx.tenant,
    idOf(ctx, "customers", j),
    idOf(ctx, "account_categories", a % ctx.counts.account_categories),
    branchCode(customerBranch(ctx, j)),
    number,
    accountCheckDigit(number),
    kind,
    status,
    formatMoney(balance),
    formatMoney(overdraft),
    isoDay(opened),
    closed === null ? null : isoDay(closed),
    isoInstant(opened, s.int(a, 8, 10 * 3600, 20 * 3600)),
  ];
}

/**
 * Credit limit c: customer c mod customers, product ⌊c / customers⌋ (so a customer never holds two
 * limits of one product).
 */
export function creditLimitRow(ctx: GenerationContext, c: number): unknown[] {
  const s = ctx.streams.credit_limits;
  const customers = ctx.counts.customers;
  const state = stateOf(ctx.states.credit_limits, c, "active");
  const status = state;
  const limit = Math.round(s.lognormal(c, 1, Math.log(5_000), 0.8)) * 100;
  const used = status === "cancelled" ? 0 : Math.floor(s.float(c, 2) * limit);
  const from = businessDayOnOrBefore(ctx.refDay - s.int(c, 3, 30, 700));
  return [
    idOf(ctx, "credit_limits", c),
    ctx.tenant,
    idOf(ctx, "customers", c % customers),
    CREDIT_PRODUCTS[Math.floor(c / customers)],
    formatMoney(limit),
    formatMoney(used),
    status,
    isoDay(from),
    isoDay(from + (s.chance(c, 4, 0.5) ? 365 : 730)),
    isoInstant(from, s.int(c, 5, 10 * 3600, 20 * 3600)),
  ];
}

const OTHER_CONTRACTS = weightedTable([
  ["account_opening", 50],
  ["credit_card", 25],
  ["overdraft", 15],
  ["service", 10],
] as const);

const CONTRACT_PREFIX: Record<string, string> = {
  loan: "EMP",
  account_opening: "ABC",
  credit_card: "CCR",
  overdraft: "CHE",
  service: "SRV",
};

/**
 * Contract x: for x < loans it is the contract of loan x (same customer, signed the day the loan
 * was contracted); otherwise customer x mod customers with a non-loan kind. The number embeds x,
 * so it is unique by construction.
 */
export function contractRow(ctx: GenerationContext, x: number): unknown[] {
  const s = ctx.streams.contracts;
  const isLoan = x < ctx.counts.loans;
  const kind = isLoan ? "loan" : s.weighted(x, 1, OTHER_CONTRACTS);
  const customer = isLoan ? loanCustomer(ctx, x) : x % ctx.counts.customers;
  const signed = isLoan
    ? loanTimeline(ctx, x).contractedDay
    : addBusinessEpochDays(ctx.refDay - s.int(x, 2, 30, 1500), 0);
  const status = stateOf(ctx.states.contracts, x, "active");
  const terminated = status === "active" ? null : signed + s.int(x, 3, 0, Math.max(0, ctx.refDay - signed));
  const year = isoDay(signed).slice(0, 4);
  return [
    idOf(ctx, "contracts", x),
    ctx.tenant,
    idOf(ctx, "customers", customer),
    isLoan ? idOf(ctx, "loans", x) : null,
    kind,
    `${CONTRACT_PREFIX[kind]}-${year}-${String(x).padStart(9, "0")}`,
    isoDay(signed),
    status,
    terminated === null ? null : isoDay(terminated),
    isoInstant(signed, s.int(x, 4, 10 * 3600, 18 * 3600)),
  ];
}
