import { describe, expect, test } from "bun:test";
import { cet, iof, priceSchedule } from "../../src/finance/index.ts";

const single = (firstDueOn: string) =>
  priceSchedule({ principalCents: 1_000_000, monthlyRate: "0.02", termMonths: 1, firstDueOn });

describe("cet", () => {
  // Zero IOF and fees, one installment exactly 365 days after release: 10000.00 → 10200.00.
  //   10000 = 10200 / (1 + CET)^(365/365) ⇒ CET = 0.02 exactly; monthly (1.02)^(1/12) − 1 = 0.0016515813… → 0.00165158.
  test("zero IOF and fees over 365 days: CET is the contract rate", () => {
    const result = cet({
      principalCents: 1_000_000,
      iofCents: 0,
      feesCents: 0,
      schedule: single("2026-01-01"),
      contractedOn: "2025-01-01",
    });
    expect(result.annual).toBe("0.020000");
    expect(result.monthly).toBe("0.00165158");
  });

  // Zero IOF and fees, 2 % for 30 days: the nominal rate annualized on the regulation's days/365 basis.
  //   CET = 1.02^(365/30) − 1 = 1.02^12.1666… − 1 = 0.27243446284… → 0.272434 (Python Decimal, 50 digits);
  //   monthly 1.02^(365/360) − 1 = 0.02028057580… → 0.02028058.
  test("zero IOF and fees over 30 days: CET = 1.02^(365/30) − 1", () => {
    const result = cet({
      principalCents: 1_000_000,
      iofCents: 0,
      feesCents: 0,
      schedule: single("2025-01-31"),
      contractedOn: "2025-01-01",
    });
    expect(result.annual).toBe("0.272434");
    expect(result.monthly).toBe("0.02028058");
  });

  // With IOF (PF, contract 2025-01-01, one installment 2025-01-31, 30 days):
  //   IOF daily 10000.00 × 0.000082 × 30 = 24.60; additional 10000.00 × 0.0038 = 38.00; IOF = 62.60.
  //   Released FC0 = 10000.00 − 62.60 = 9937.40; FC1 = 10200.00 at 30 days.
  //   CET = (10200.00 / 9937.40)^(365/30) − 1; ratio = 1.0264254231…, ln ratio = 0.0260823032…,
  //   × 12.1666… = 0.3173346896…, exp − 1 = 0.3734621784… → 0.373462; monthly 0.0267973174… → 0.02679732.
  test("with IOF: the amount released shrinks, the CET rises", () => {
    const schedule = single("2025-01-31");
    const tax = iof({ borrower: "PF", schedule, contractedOn: "2025-01-01" });
    expect(tax.totalCents).toBe(6_260);
    const result = cet({
      principalCents: 1_000_000,
      iofCents: tax.totalCents,
      feesCents: 0,
      schedule,
      contractedOn: "2025-01-01",
    });
    expect(result.annual).toBe("0.373462");
    expect(result.monthly).toBe("0.02679732");
  });

  // With IOF 62.60 and a R$ 150.00 fee: FC0 = 9787.40; CET = (10200 / 9787.40)^(365/30) − 1 = 0.65265733… → 0.652657;
  // monthly (10200 / 9787.40)^(365/360) − 1 = 0.04275408793… → 0.04275409.
  test("with IOF and fees", () => {
    const result = cet({
      principalCents: 1_000_000,
      iofCents: 6_260,
      feesCents: 15_000,
      schedule: single("2025-01-31"),
      contractedOn: "2025-01-01",
    });
    expect(result.annual).toBe("0.652657");
    expect(result.monthly).toBe("0.04275409");
  });

  // Multi-flow IRR: Price R$ 10,000 at 2 % × 12 from 2025-02-01, contract 2025-01-01, no IOF or fees
  // (twelve installments of 945.60, schedule.test.ts). Independent solve (Python Decimal, 60 digits,
  // 300 bisection steps) of 10000 = Σ 945.60 / (1 + CET)^(d_j/365), d = 31, 59, 90, …, 365
  //   → 0.2695356082… → 0.269536; monthly (1 + CET)^(1/12) − 1 = 0.0200866733… → 0.02008667.
  // Above (1.02)^12 − 1 = 0.26824179 because the calendar months before each due date are shorter
  // on average (first 31 days, then 28) than 365/12 in the cumulative count.
  test("12 monthly installments: IRR of the whole flow", () => {
    const schedule = priceSchedule({
      principalCents: 1_000_000,
      monthlyRate: "0.02",
      termMonths: 12,
      firstDueOn: "2025-02-01",
    });
    const result = cet({ principalCents: 1_000_000, iofCents: 0, feesCents: 0, schedule, contractedOn: "2025-01-01" });
    expect(result.annual).toBe("0.269536");
    expect(result.monthly).toBe("0.02008667");
    expect(result.iterations).toBeLessThan(20);
  });

  test("is deterministic: same inputs, same iterations and digits", () => {
    const schedule = priceSchedule({
      principalCents: 987_654,
      monthlyRate: "0.0299",
      termMonths: 48,
      firstDueOn: "2025-03-15",
    });
    const run = () =>
      cet({ principalCents: 987_654, iofCents: 12_345, feesCents: 5_000, schedule, contractedOn: "2025-02-10" });
    expect(run()).toEqual(run());
  });

  test("refuses a release that IOF and fees consume", () => {
    expect(() =>
      cet({
        principalCents: 10_000,
        iofCents: 5_000,
        feesCents: 5_000,
        schedule: single("2025-01-31"),
        contractedOn: "2025-01-01",
      }),
    ).toThrow(/must be positive/);
  });
});
