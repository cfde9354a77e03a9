import { describe, expect, test } from "bun:test";
import { priceSchedule, sacSchedule } from "../../src/finance/index.ts";
import { expected } from "./utils.ts";

describe("priceSchedule", () => {
  // Calculadora do Cidadão style: R$ 10,000.00 at 2 % a month, 12 installments.
  //   PMT = 10000 × 0.02 / (1 − 1.02^−12); 1.02^12 = 1.268241794562545…, 1.02^−12 = 0.788493175…
  //   PMT = 200 / 0.211506824… = 945.5959662… → 945.60.
  //   Month 1: interest 10000 × 0.02 = 200.00; amortization 945.60 − 200.00 = 745.60; balance 9254.40.
  //   Month 2: interest 9254.40 × 0.02 = 185.088 → 185.09; amortization 760.51; balance 8493.89.
  //   … (same rule, checked row by row with an independent Python Decimal script, ROUND_HALF_EVEN)
  //   Month 12: balance 927.01, interest 18.5402 → 18.54, total 927.01 + 18.54 = 945.55 (residual).
  test("R$ 10,000 at 2 % for 12 months pays 945.60 and ends at zero", () => {
    const schedule = priceSchedule({
      principalCents: 1_000_000,
      monthlyRate: "0.02",
      termMonths: 12,
      firstDueOn: "2025-02-01",
    });
    expect(schedule.installments).toEqual(
      expected([
        ["2025-02-01", "745.60", "200.00", "945.60", "9254.40"],
        ["2025-03-01", "760.51", "185.09", "945.60", "8493.89"],
        ["2025-04-01", "775.72", "169.88", "945.60", "7718.17"],
        ["2025-05-01", "791.24", "154.36", "945.60", "6926.93"],
        ["2025-06-01", "807.06", "138.54", "945.60", "6119.87"],
        ["2025-07-01", "823.20", "122.40", "945.60", "5296.67"],
        ["2025-08-01", "839.67", "105.93", "945.60", "4457.00"],
        ["2025-09-01", "856.46", "89.14", "945.60", "3600.54"],
        ["2025-10-01", "873.59", "72.01", "945.60", "2726.95"],
        ["2025-11-01", "891.06", "54.54", "945.60", "1835.89"],
        ["2025-12-01", "908.88", "36.72", "945.60", "927.01"],
        ["2026-01-01", "927.01", "18.54", "945.55", "0.00"],
      ]),
    );
  });

  // Hand calculation: R$ 1,000.00 at 1 % a month, 3 installments.
  //   1.01^3 = 1.030301; PMT = 1000 × 0.01 × 1.030301 / 0.030301 = 10.30301 / 0.030301 = 340.0221… → 340.02
  //   1: interest 10.00; amortization 330.02; balance 669.98
  //   2: interest 669.98 × 0.01 = 6.6998 → 6.70; amortization 333.32; balance 336.66
  //   3: interest 336.66 × 0.01 = 3.3666 → 3.37; amortization = balance 336.66; total 340.03
  test("R$ 1,000 at 1 % for 3 months: last installment absorbs the rounding residual", () => {
    const schedule = priceSchedule({
      principalCents: 100_000,
      monthlyRate: "0.01",
      termMonths: 3,
      firstDueOn: "2025-01-31",
    });
    expect(schedule.installments).toEqual(
      expected([
        ["2025-01-31", "330.02", "10.00", "340.02", "669.98"],
        ["2025-02-28", "333.32", "6.70", "340.02", "336.66"],
        ["2025-03-31", "336.66", "3.37", "340.03", "0.00"],
      ]),
    );
  });

  // Hand calculation with a half-cent tie (ABNT NBR 5891, half to even):
  //   R$ 1,234.50 at 1 %, 2 installments: 1.01^2 = 1.0201; PMT = 12.345 × 1.0201 / 0.0201 = 626.5241… → 626.52
  //   1: interest 1234.50 × 0.01 = 12.345 → 12.34 (tie, 4 is even; half-up would give 12.35)
  //      amortization 626.52 − 12.34 = 614.18; balance 620.32
  //   2: interest 6.2032 → 6.20; amortization 620.32; total 626.52
  test("R$ 1,234.50 at 1 % for 2 months rounds the 12.345 interest tie to even", () => {
    const schedule = priceSchedule({ principalCents: 123_450, monthlyRate: "0.01", termMonths: 2, firstDueOn: 20_120 });
    expect(schedule.installments).toEqual(
      expected([
        ["2025-02-01", "614.18", "12.34", "626.52", "620.32"],
        ["2025-03-01", "620.32", "6.20", "626.52", "0.00"],
      ]),
    );
  });

  // Zero rate: PMT = 100.00 / 3 = 33.333… → 33.33; the last pays the residual 33.34.
  test("zero rate splits the principal and puts the residual cent last", () => {
    const schedule = priceSchedule({
      principalCents: 10_000,
      monthlyRate: "0",
      termMonths: 3,
      firstDueOn: "2025-02-01",
    });
    expect(schedule.installments.map((row) => row.totalCents)).toEqual([3333, 3333, 3334]);
    expect(schedule.installments.every((row) => row.interestCents === 0)).toBe(true);
  });

  test("refuses invalid terms", () => {
    const base = { principalCents: 100, monthlyRate: "0.01", termMonths: 3, firstDueOn: "2025-02-01" };
    expect(() => priceSchedule({ ...base, principalCents: 0 })).toThrow(/positive/);
    expect(() => priceSchedule({ ...base, principalCents: 10.5 })).toThrow(/safe integer/);
    expect(() => priceSchedule({ ...base, termMonths: 0 })).toThrow(/termMonths/);
    expect(() => priceSchedule({ ...base, monthlyRate: "-0.01" })).toThrow(/negative/);
    expect(() => priceSchedule({ ...base, monthlyRate: "1e-2" })).toThrow(/decimal string/);
  });
});

describe("sacSchedule", () => {
  // Hand calculation: R$ 1,000.00 at 1 %, 3 installments. 100000 / 3 = 33333 r 1 → 333.33, 333.33, 333.34.
  //   1: interest 1000 × 0.01 = 10.00 → total 343.33, balance 666.67
  //   2: interest 666.67 × 0.01 = 6.6667 → 6.67 → total 340.00, balance 333.34
  //   3: interest 333.34 × 0.01 = 3.3334 → 3.33 → total 336.67, balance 0.00
  test("R$ 1,000 at 1 % in 3: remainder cent on the last amortization", () => {
    const schedule = sacSchedule({
      principalCents: 100_000,
      monthlyRate: "0.01",
      termMonths: 3,
      firstDueOn: "2025-02-01",
    });
    expect(schedule.installments).toEqual(
      expected([
        ["2025-02-01", "333.33", "10.00", "343.33", "666.67"],
        ["2025-03-01", "333.33", "6.67", "340.00", "333.34"],
        ["2025-04-01", "333.34", "3.33", "336.67", "0.00"],
      ]),
    );
  });

  // Hand calculation: R$ 100.00 at 1.5 %, 7 installments. 10000 / 7 = 1428 r 4 → the last 4 get 14.29.
  //   interest = balance × 0.015: 100.00 → 1.50; 85.72 → 1.2858 → 1.29; 71.44 → 1.0716 → 1.07;
  //   57.16 → 0.8574 → 0.86; 42.87 → 0.64305 → 0.64; 28.58 → 0.4287 → 0.43; 14.29 → 0.21435 → 0.21
  test("R$ 100 at 1.5 % in 7: four residual cents spread over the last four", () => {
    const schedule = sacSchedule({
      principalCents: 10_000,
      monthlyRate: "0.015",
      termMonths: 7,
      firstDueOn: "2025-02-01",
    });
    expect(schedule.installments).toEqual(
      expected([
        ["2025-02-01", "14.28", "1.50", "15.78", "85.72"],
        ["2025-03-01", "14.28", "1.29", "15.57", "71.44"],
        ["2025-04-01", "14.28", "1.07", "15.35", "57.16"],
        ["2025-05-01", "14.29", "0.86", "15.15", "42.87"],
        ["2025-06-01", "14.29", "0.64", "14.93", "28.58"],
        ["2025-07-01", "14.29", "0.43", "14.72", "14.29"],
        ["2025-08-01", "14.29", "0.21", "14.50", "0.00"],
      ]),
    );
  });

  // Half-cent ties in interest (ABNT NBR 5891, half to even): R$ 9.00 at 1.5 % in 3, amortization 3.00 each.
  //   900 cents × 0.015 = 13.5 cents → 14 (up to even); 600 × 0.015 = 9; 300 × 0.015 = 4.5 → 4 (down to even).
  //   Half-up would give 14, 9, 5.
  test("SAC interest ties round to even in both directions", () => {
    const schedule = sacSchedule({
      principalCents: 900,
      monthlyRate: "0.015",
      termMonths: 3,
      firstDueOn: "2025-02-01",
    });
    expect(schedule.installments.map((row) => row.principalCents)).toEqual([300, 300, 300]);
    expect(schedule.installments.map((row) => row.interestCents)).toEqual([14, 9, 4]);
  });
});
