import { describe, expect, test } from "bun:test";
import { annualFromMonthly, monthlyFromAnnual } from "../../src/finance/index.ts";

describe("rates", () => {
  // Independent figures: Python decimal (60 digits), (1 + a) ** (1/12) - 1:
  //   a = 0.12       → 0.009488792934582974… → 9 places 0.009488793
  //   a = 1          → 0.059463094359295264… → 0.059463094 (2^(1/12) - 1)
  //   a = 0.26824179 → 0.019999999694209452… → 0.020000000
  test("monthlyFromAnnual is the compound equivalent, correctly rounded", () => {
    expect(monthlyFromAnnual("0.12")).toBe("0.009488793");
    expect(monthlyFromAnnual("1")).toBe("0.059463094");
    expect(monthlyFromAnnual("0.26824179")).toBe("0.020000000");
    expect(monthlyFromAnnual("0.12", 6)).toBe("0.009489");
    expect(monthlyFromAnnual("0")).toBe("0.000000000");
  });

  test("exact roots are exact: (1.02)^12 - 1 = 0.268241794562545318301696 exactly", () => {
    expect(annualFromMonthly("0.02", 18)).toBe("0.268241794562545318");
    expect(monthlyFromAnnual("0.268241794562545318301696", 12)).toBe("0.020000000000");
  });

  test("tiny rates keep their precision at more places", () => {
    // (1 + 0.0000000012)^(1/12) - 1 = 0.0000000000999999…: rounds to 0.000000000 at 9 places.
    expect(monthlyFromAnnual("0.0000000012")).toBe("0.000000000");
    expect(monthlyFromAnnual("0.0000000012", 12)).toBe("0.000000000100");
  });

  test("refuses malformed rates", () => {
    expect(() => monthlyFromAnnual("12%")).toThrow(/decimal string/);
    expect(() => monthlyFromAnnual("-1")).toThrow(/greater than -1/);
    expect(() => monthlyFromAnnual("0.1", 0)).toThrow(/places/);
  });
});
