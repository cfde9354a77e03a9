import { describe, expect, test } from "bun:test";
import { priceSchedule, sacSchedule } from "../../src/finance/index.ts";
import { expected } from "./utils.ts";

describe("priceSchedule", () => {
  // Calculadora do Cidadão style: R$ 10,000.00 at 2 % a month, 12 installments.
  //   PMT = 10000 × 0.02 / (1 − 1.02^−12); 1.02^12 = 1.268241794562545…, 1.02^−12 = 0.788493175…
  //   PMT = 200 / 0.211506824… = 945.5959662… → 945.60.
  //   Balance after k: B_k = 10000 × (1.02^12 − 1.02^k) / (1.02^12 − 1), the exact balance of the
  //   exact payment stream, rounded to the cent; principal = previous balance − balance;
  //   interest = 945.60 − principal.
  //   Month 1: B_1 = 10000 × (1.268241795 − 1.02) / 0.268241795 = 9254.4040… → 9254.40;
  //            principal 745.60, interest 200.00 (= 10000.00 × 0.02).
  //   Month 2: B_2 = 10000 × (1.268241795 − 1.0404) / 0.268241795 = 8493.8961… → 8493.90;
  //            principal 760.50, interest 185.10 (balance × rate 185.088: within 2 cents).
  //   … (checked row by row with an independent Python Fraction script, round half even)
  //   Month 12: B_12 = 0; principal 927.05, interest 18.55, total 945.60 — no residual at the end.
  test("R$ 10,000 at 2 % for 12 months pays 945.60 every month and ends at zero", () => {
    const schedule = priceSchedule({
      principalCents: 1_000_000,
      monthlyRate: "0.02",
      termMonths: 12,
      firstDueOn: "2025-02-01",
    });
    expect(schedule.installments).toEqual(
      expected([
        ["2025-02-01", "745.60", "200.00", "945.60", "9254.40"],
        ["2025-03-01", "760.50", "185.10", "945.60", "8493.90"],
        ["2025-04-01", "775.72", "169.88", "945.60", "7718.18"],
        ["2025-05-01", "791.23", "154.37", "945.60", "6926.95"],
        ["2025-06-01", "807.06", "138.54", "945.60", "6119.89"],
        ["2025-07-01", "823.20", "122.40", "945.60", "5296.69"],
        ["2025-08-01", "839.66", "105.94", "945.60", "4457.03"],
        ["2025-09-01", "856.46", "89.14", "945.60", "3600.57"],
        ["2025-10-01", "873.58", "72.02", "945.60", "2726.99"],
        ["2025-11-01", "891.06", "54.54", "945.60", "1835.93"],
        ["2025-12-01", "908.88", "36.72", "945.60", "927.05"],
        ["2026-01-01", "927.05", "18.55", "945.60", "0.00"],
      ]),
    );
  });

  // Hand calculation: R$ 1,000.00 at 1 % a month, 3 installments.
  //   1.01^3 = 1.030301; PMT = 1000 × 0.01 × 1.030301 / 0.030301 = 10.30301 / 0.030301 = 340.0221… → 340.02
  //   B_1 = 1000 × (1.030301 − 1.01) / 0.030301 = 669.9779… → 669.98; principal 330.02, interest 10.00
  //   B_2 = 1000 × (1.030301 − 1.0201) / 0.030301 = 336.6555… → 336.66; principal 333.32, interest 6.70
  //   B_3 = 0; principal 336.66, interest 340.02 − 336.66 = 3.36 (336.66 × 0.01 = 3.3666)
  test("R$ 1,000 at 1 % for 3 months: the rounding stays in the interest, not in a residual installment", () => {
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
        ["2025-03-31", "336.66", "3.36", "340.02", "0.00"],
      ]),
    );
  });

  // Hand calculation with a half-cent tie (ABNT NBR 5891, half to even):
  //   R$ 1,234.50 at 1 %, 2 installments: 1.01^2 = 1.0201; PMT = 12.345 × 1.0201 / 0.0201 = 626.5241… → 626.52
  //   B_1 = 1234.50 × (1.0201 − 1.01) / 0.0201 = 12.46845 / 0.0201 = 620.3208… → 620.32;
  //       principal 614.18, interest 626.52 − 614.18 = 12.34 (balance × rate 12.345)
  //   2: principal 620.32, interest 6.20; total 626.52
  test("R$ 1,234.50 at 1 % for 2 months", () => {
    const schedule = priceSchedule({ principalCents: 123_450, monthlyRate: "0.01", termMonths: 2, firstDueOn: 20_120 });
    expect(schedule.installments).toEqual(
      expected([
        ["2025-02-01", "614.18", "12.34", "626.52", "620.32"],
        ["2025-03-01", "620.32", "6.20", "626.52", "0.00"],
      ]),
    );
  });

  // Zero rate: B_k = 100.00 × (3 − k) / 3 rounded: 66.67, 33.33, 0 → principal 33.33, 33.34, 33.33.
  test("zero rate: the exact balance path splits the principal, no interest", () => {
    const schedule = priceSchedule({
      principalCents: 10_000,
      monthlyRate: "0",
      termMonths: 3,
      firstDueOn: "2025-02-01",
    });
    expect(schedule.installments.map((row) => row.totalCents)).toEqual([3333, 3334, 3333]);
    expect(schedule.installments.every((row) => row.interestCents === 0)).toBe(true);
  });

  // The defect of the compounding rounded balance (issue 9): R$ 263.96 at 4.97 % over 120 months
  // used to end with a 0.00 installment. PMT = 26396 × 0.0497 / (1 − 1.0497^−120) = 13.1578… → 13.16.
  test("R$ 263.96 at 4.97 % for 120 months: every installment is 13.16", () => {
    const schedule = priceSchedule({
      principalCents: 26_396,
      monthlyRate: "0.0497",
      termMonths: 120,
      firstDueOn: "2025-01-31",
    });
    expect(new Set(schedule.installments.map((row) => row.totalCents))).toEqual(new Set([1316]));
    expect(schedule.installments.at(-1)!.balanceCents).toBe(0);
  });

  // A near tie: 5 cents at 10^−30 a month in 2. B_1 = 5·(1 + i)/(2 + i) = 2.5 + 1.25·10^−30 + … cents,
  // a hair above the half cent, so it rounds to 3 (at a zero rate 2.5 would round to even, 2).
  // PMT = 5·i/(1 − (1 + i)^−2) = 2.5·(1 + i)²/(1 + i/2) > 2.5 → 3.
  test("a balance a hair above a half cent is decided exactly", () => {
    const schedule = priceSchedule({
      principalCents: 5,
      monthlyRate: `0.${"0".repeat(29)}1`,
      termMonths: 2,
      firstDueOn: "2025-02-01",
    });
    expect(schedule.installments.map((row) => [row.principalCents, row.interestCents, row.balanceCents])).toEqual([
      [2, 1, 3],
      [3, 0, 0],
    ]);
  });

  test("refuses invalid terms", () => {
    const base = { principalCents: 100, monthlyRate: "0.01", termMonths: 3, firstDueOn: "2025-02-01" };
    expect(() => priceSchedule({ ...base, principalCents: 0 })).toThrow(/positive/);
    expect(() => priceSchedule({ ...base, principalCents: 10.5 })).toThrow(/safe integer/);
    expect(() => priceSchedule({ ...base, termMonths: 0 })).toThrow(/termMonths/);
    expect(() => priceSchedule({ ...base, monthlyRate: "-0.01" })).toThrow(/negative/);
    expect(() => priceSchedule({ ...base, monthlyRate: "1e-2" })).toThrow(/decimal string/);
  });

  // 1 cent over 3 months at 0 %: PMT = 0.33… cent → 0; B_k = 1 × (3 − k) / 3 → 1, 0, 0 (0.67 → 1,
  // 0.33 → 0): installments 0, 1, 0 — the schema's total_amount > 0 would refuse them.
  test("refuses a principal too small for the term (an installment would be 0.00)", () => {
    const base = { principalCents: 1, monthlyRate: "0", termMonths: 3, firstDueOn: "2025-02-01" };
    expect(() => priceSchedule(base)).toThrow(/would be 0\.00/);
    expect(() => sacSchedule(base)).toThrow(/would be 0\.00/);
    expect(priceSchedule({ ...base, principalCents: 3 }).installments.map((row) => row.totalCents)).toEqual([1, 1, 1]);
  });
});

describe("sacSchedule", () => {
  // Hand calculation: R$ 1,000.00 at 1 %, 3 installments. 100000 / 3 = 33333 r 1 → 333.34, 333.33, 333.33.
  //   1: interest 1000 × 0.01 = 10.00 → total 343.34, balance 666.66
  //   2: interest 666.66 × 0.01 = 6.6666 → 6.67 → total 340.00, balance 333.33
  //   3: interest 333.33 × 0.01 = 3.3333 → 3.33 → total 336.66, balance 0.00
  test("R$ 1,000 at 1 % in 3: remainder cent on the first amortization", () => {
    const schedule = sacSchedule({
      principalCents: 100_000,
      monthlyRate: "0.01",
      termMonths: 3,
      firstDueOn: "2025-02-01",
    });
    expect(schedule.installments).toEqual(
      expected([
        ["2025-02-01", "333.34", "10.00", "343.34", "666.66"],
        ["2025-03-01", "333.33", "6.67", "340.00", "333.33"],
        ["2025-04-01", "333.33", "3.33", "336.66", "0.00"],
      ]),
    );
  });

  // Hand calculation: R$ 100.00 at 1.5 %, 7 installments. 10000 / 7 = 1428 r 4 → the first 4 get 14.29.
  //   interest = balance × 0.015: 100.00 → 1.50; 85.71 → 1.28565 → 1.29; 71.42 → 1.0713 → 1.07;
  //   57.13 → 0.85695 → 0.86; 42.84 → 0.6426 → 0.64; 28.56 → 0.4284 → 0.43; 14.28 → 0.2142 → 0.21
  test("R$ 100 at 1.5 % in 7: four residual cents on the first four, installments never rise", () => {
    const schedule = sacSchedule({
      principalCents: 10_000,
      monthlyRate: "0.015",
      termMonths: 7,
      firstDueOn: "2025-02-01",
    });
    expect(schedule.installments).toEqual(
      expected([
        ["2025-02-01", "14.29", "1.50", "15.79", "85.71"],
        ["2025-03-01", "14.29", "1.29", "15.58", "71.42"],
        ["2025-04-01", "14.29", "1.07", "15.36", "57.13"],
        ["2025-05-01", "14.29", "0.86", "15.15", "42.84"],
        ["2025-06-01", "14.28", "0.64", "14.92", "28.56"],
        ["2025-07-01", "14.28", "0.43", "14.71", "14.28"],
        ["2025-08-01", "14.28", "0.21", "14.49", "0.00"],
      ]),
    );
  });

  // Zero rate: 1000.00 / 3 = 333.33 r 1. With the extra cent last (before issue 9) the installments
  // were 333.33, 333.33, 333.34: the last rose by a cent.
  test("zero rate: the extra cent comes first, installments never rise", () => {
    const schedule = sacSchedule({ principalCents: 100_000, monthlyRate: "0", termMonths: 3, firstDueOn: 20_120 });
    expect(schedule.installments.map((row) => row.totalCents)).toEqual([33_334, 33_333, 33_333]);
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
