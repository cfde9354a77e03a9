import { describe, expect, test } from "bun:test";
import { IOF_CREDIT_RATES, iof, iofRatesOn, priceSchedule, sacSchedule } from "../../src/finance/index.ts";

describe("iof", () => {
  // PF, Price R$ 10,000 at 2 % × 12 (table in schedule.test.ts), contract 2025-01-01.
  // Decreto 6.306/2007 art. 7º: 0.0082 % a day (0.000082) on each amortization for its days:
  //    1 2025-02-01  31 d  745.60 × 0.000082 × 31  =  1.89531520
  //    2 2025-03-01  59 d  760.50 × 0.000082 × 59  =  3.67929900
  //    3 2025-04-01  90 d  775.72 × 0.000082 × 90  =  5.72481360
  //    4 2025-05-01 120 d  791.23 × 0.000082 × 120 =  7.78570320
  //    5 2025-06-01 151 d  807.06 × 0.000082 × 151 =  9.99301692
  //    6 2025-07-01 181 d  823.20 × 0.000082 × 181 = 12.21793440
  //    7 2025-08-01 212 d  839.66 × 0.000082 × 212 = 14.59664944
  //    8 2025-09-01 243 d  856.46 × 0.000082 × 243 = 17.06582196
  //    9 2025-10-01 273 d  873.58 × 0.000082 × 273 = 19.55596188
  //   10 2025-11-01 304 d  891.06 × 0.000082 × 304 = 22.21234368
  //   11 2025-12-01 334 d  908.88 × 0.000082 × 334 = 24.89240544
  //   12 2026-01-01 365 d  927.05 × 0.000082 × 365 = 27.74660650
  //   daily sum 167.36587122 → 167.37; additional 10000.00 × 0.38 % = 38.00; IOF 205.37.
  test("PF: daily 0.0082 % per amortization plus 0.38 % flat", () => {
    const schedule = priceSchedule({
      principalCents: 1_000_000,
      monthlyRate: "0.02",
      termMonths: 12,
      firstDueOn: "2025-02-01",
    });
    const result = iof({ borrower: "PF", schedule, contractedOn: "2025-01-01" });
    expect(result.terms.map((term) => term.days)).toEqual([31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]);
    expect(result.dailyCents).toBe(16_737);
    expect(result.additionalCents).toBe(3_800);
    expect(result.totalCents).toBe(20_537);
  });

  // PJ before Decreto 12.466/2025: SAC R$ 24,000 at 1.5 % × 24 (amortization 1,000.00 each),
  // contract 2025-03-10, first due 2025-04-10. 0.0041 % a day, days capped at 365:
  //   days: 31, 61, 92, 122, 153, 184, 214, 245, 275, 306, 337, then 365 × 13 (installments 12–24)
  //   Σ days = 2020 + 13 × 365 = 6765; 1000.00 × 0.000041 × 6765 = 277.365 → 277.36 (half-even tie);
  //   additional 24000.00 × 0.38 % = 91.20; IOF 368.56.
  test("PJ before 2025-05-23: 0.0041 % a day, capped at 365 days, tie rounded to even", () => {
    const schedule = sacSchedule({
      principalCents: 2_400_000,
      monthlyRate: "0.015",
      termMonths: 24,
      firstDueOn: "2025-04-10",
    });
    const result = iof({ borrower: "PJ", schedule, contractedOn: "2025-03-10" });
    expect(result.terms.slice(0, 12).map((term) => term.days)).toEqual([
      31, 61, 92, 122, 153, 184, 214, 245, 275, 306, 337, 365,
    ]);
    expect(result.terms.slice(11).every((term) => term.days === 365)).toBe(true);
    expect(result.dailyCents).toBe(27_736);
    expect(result.additionalCents).toBe(9_120);
    expect(result.totalCents).toBe(36_856);
  });

  // PJ after the STF restored Decreto 12.499/2025: same loan contracted 2025-08-10, first due 2025-09-10.
  //   days: 31, 61, 92, 122, 153, 184, 212, 243, 273, 304, 334, then 365 × 13
  //   Σ days = 2009 + 4745 = 6754; 1000.00 × 0.000082 × 6754 = 553.828 → 553.83; additional 0.38 % = 91.20;
  //   IOF 645.03.
  test("PJ after 2025-07-16: 0.0082 % a day plus 0.38 %", () => {
    const schedule = sacSchedule({
      principalCents: 2_400_000,
      monthlyRate: "0.015",
      termMonths: 24,
      firstDueOn: "2025-09-10",
    });
    const result = iof({ borrower: "PJ", schedule, contractedOn: "2025-08-10" });
    expect(result.dailyCents).toBe(55_383);
    expect(result.additionalCents).toBe(9_120);
    expect(result.totalCents).toBe(64_503);
    expect(result.rates.basis).toMatch(/12\.499/);
  });

  // Decreto 12.466/2025 window: PJ additional 0.95 %. One installment of R$ 10,000 due in 30 days:
  //   10000.00 × 0.000082 × 30 = 24.60; 10000.00 × 0.95 % = 95.00; IOF 119.60.
  test("PJ between 2025-05-23 and 2025-06-10: additional 0.95 %", () => {
    const schedule = priceSchedule({
      principalCents: 1_000_000,
      monthlyRate: "0.02",
      termMonths: 1,
      firstDueOn: "2025-06-29",
    });
    const result = iof({ borrower: "PJ", schedule, contractedOn: "2025-05-30" });
    expect(result.dailyCents).toBe(2_460);
    expect(result.additionalCents).toBe(9_500);
    expect(result.totalCents).toBe(11_960);
  });

  test("refuses a due date before the contract", () => {
    const schedule = priceSchedule({
      principalCents: 10_000,
      monthlyRate: "0.02",
      termMonths: 1,
      firstDueOn: "2025-01-01",
    });
    expect(() => iof({ borrower: "PF", schedule, contractedOn: "2025-02-01" })).toThrow(/before the contract/);
  });
});

describe("iofRatesOn", () => {
  test("selects the entry in force on each contract date", () => {
    const pj = (date: string) => {
      const entry = iofRatesOn(date);
      return [entry.dailyPJ, entry.additionalPJ];
    };
    expect(pj("2021-01-01")).toEqual(["0.000041", "0.0038"]);
    expect(iofRatesOn("2021-12-31").dailyPF).toBe("0.0001118");
    expect(pj("2022-01-01")).toEqual(["0.000041", "0.0038"]);
    expect(pj("2025-05-22")).toEqual(["0.000041", "0.0038"]);
    expect(pj("2025-05-23")).toEqual(["0.000082", "0.0095"]);
    expect(pj("2025-06-11")).toEqual(["0.000082", "0.0038"]);
    expect(pj("2025-06-27")).toEqual(["0.000041", "0.0038"]);
    expect(pj("2025-07-15")).toEqual(["0.000041", "0.0038"]);
    expect(pj("2025-07-16")).toEqual(["0.000082", "0.0038"]);
    expect(pj("2030-01-01")).toEqual(["0.000082", "0.0038"]);
    expect(IOF_CREDIT_RATES.every((entry) => entry.dailyPF === "0.000082" || entry.from === "2021-09-20")).toBe(true);
  });

  test("refuses contract dates before the table", () => {
    expect(() => iofRatesOn("2020-12-31")).toThrow(/no IOF rate table/);
  });
});
