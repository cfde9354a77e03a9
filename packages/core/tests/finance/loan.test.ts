import { describe, expect, test } from "bun:test";
import {
  computeLoan,
  type LoanSchedule,
  priceSchedule,
  type ScheduleOptions,
  sacSchedule,
} from "../../src/finance/index.ts";

// A fixed grid instead of random draws: deterministic, and it spans tiny and large principals,
// zero to high rates, 1 to 420 months and month-end due dates.
const PRINCIPALS = [1, 7, 99, 10_000, 123_457, 1_000_000, 98_765_432, 5_000_000_000];
const RATES = ["0", "0.000123456", "0.0099", "0.0189", "0.035", "0.1"];
const TERMS = [1, 2, 7, 12, 37, 120, 420];

function* grid(): Generator<{ principalCents: number; monthlyRate: string; termMonths: number; firstDueOn: string }> {
  for (const principalCents of PRINCIPALS) {
    for (const monthlyRate of RATES) {
      for (const termMonths of TERMS) yield { principalCents, monthlyRate, termMonths, firstDueOn: "2025-01-31" };
    }
  }
}

/** The schedule, or undefined when it is refused; only a principal under a cent a month may be refused. */
function built(build: (terms: ScheduleOptions) => LoanSchedule, terms: ScheduleOptions): LoanSchedule | undefined {
  try {
    return build(terms);
  } catch (error) {
    expect(terms.principalCents).toBeLessThan(terms.termMonths);
    expect(String(error)).toMatch(/would be 0\.00/);
    return undefined;
  }
}

function assertClosed(schedule: LoanSchedule): void {
  const rows = schedule.installments;
  expect(rows).toHaveLength(schedule.termMonths);
  expect(rows.reduce((sum, row) => sum + row.principalCents, 0)).toBe(schedule.principalCents);
  expect(rows.at(-1)!.balanceCents).toBe(0);
  let balance = schedule.principalCents;
  for (const row of rows) {
    expect(row.totalCents).toBe(row.principalCents + row.interestCents);
    balance -= row.principalCents;
    expect(row.balanceCents).toBe(balance);
    expect(row.principalCents).toBeGreaterThanOrEqual(0);
    expect(row.totalCents).toBeGreaterThan(0);
  }
}

describe("schedule properties", () => {
  test("Price: principal sums to P, balance ends at 0, totals within a cent of each other", () => {
    let checked = 0;
    for (const terms of grid()) {
      const schedule = built(priceSchedule, terms);
      if (schedule === undefined) continue;
      assertClosed(schedule);
      const totals = schedule.installments.map((row) => row.totalCents);
      expect(Math.max(...totals) - Math.min(...totals)).toBeLessThanOrEqual(1);
      checked += 1;
    }
    const atLeastACentAMonth = [...grid()].filter((terms) => terms.principalCents >= terms.termMonths).length;
    expect(checked).toBeGreaterThanOrEqual(atLeastACentAMonth);
  });

  test("SAC: principal sums to P, amortizations within one cent, installments never rise", () => {
    for (const terms of grid()) {
      const schedule = built(sacSchedule, terms);
      if (schedule === undefined) continue;
      assertClosed(schedule);
      const amortizations = schedule.installments.map((row) => row.principalCents);
      expect(Math.max(...amortizations) - Math.min(...amortizations)).toBeLessThanOrEqual(1);
      const totals = schedule.installments.map((row) => row.totalCents);
      expect(totals.every((value, index) => index === 0 || value <= totals[index - 1]!)).toBe(true);
    }
  });

  test("computeLoan: IOF bounded by the 365-day cap, CET at least the contract rate", () => {
    for (const method of ["price", "sac"] as const) {
      for (const borrower of ["PF", "PJ"] as const) {
        for (const termMonths of [6, 24, 60]) {
          const loan = computeLoan({
            method,
            borrower,
            principalCents: 2_000_000,
            monthlyRate: "0.02",
            termMonths,
            contractedOn: "2025-09-01",
            firstDueOn: "2025-10-01",
            feesCents: 10_000,
          });
          // Cap: 0.0082 % × 365 = 2.993 % of the principal, plus 0.38 %.
          expect(loan.iof.totalCents).toBeLessThanOrEqual(Math.round(2_000_000 * (0.02993 + 0.0038)));
          expect(Number(loan.cet.monthly)).toBeGreaterThan(0.02);
          expect(
            computeLoan({
              method,
              borrower,
              principalCents: 2_000_000,
              monthlyRate: "0.02",
              termMonths,
              contractedOn: "2025-09-01",
              firstDueOn: "2025-10-01",
              feesCents: 10_000,
            }),
          ).toEqual(loan);
        }
      }
    }
  });
});
