import { describe, expect, test } from "bun:test";
import { generateBatch, rowObject } from "../../src/factories/index.ts";
import { earliestLoanContractDay, maxLoanAgeMonths } from "../../src/factories/loan-timeline.ts";
import { addMonths, toEpochDay, toIsoDate } from "../../src/finance/index.ts";
import { validateManifest } from "../../src/manifest/index.ts";
import { contextFor, profile, smallManifest } from "./utils.ts";

describe("factories - loan contract dates and the validation bound", () => {
  for (const [environment, term] of [
    ["dev", 12],
    ["dev", 420],
    ["staging", 12],
    ["staging", 60],
  ] as const) {
    test(`no loan is contracted before earliestLoanContractDay (${environment}, term ${term})`, () => {
      const manifest = smallManifest(
        profile(environment, "banco-alfa"),
        { reference_datetime: "2026-11-28T00:00:00Z" },
        term,
      );
      manifest.volumetry.loans.count = 400;
      const ctx = contextFor(manifest);
      const earliest = earliestLoanContractDay(manifest)!;
      const refDay = toEpochDay("2026-11-28");
      const days = generateBatch(ctx, "loans", 0, ctx.counts.loans).rows.map((row) =>
        toEpochDay(rowObject("loans", row).contracted_on as string),
      );
      expect(Math.min(...days)).toBeGreaterThanOrEqual(earliest);
      // The bound is not loose by more than the month it allows for: some loan is that old.
      expect(Math.min(...days)).toBeLessThan(addMonths(refDay, -(maxLoanAgeMonths(manifest) - 1)));
    });
  }

  test("a manifest validation refuses would have failed at run time on its IOF rate", () => {
    const manifest = smallManifest(profile("dev", "banco-alfa"), { reference_datetime: "2021-06-01T00:00:00Z" });
    expect(validateManifest(manifest).map((issue) => issue.pointer)).toContain("/reference_datetime");
    const ctx = contextFor(manifest);
    expect(() => generateBatch(ctx, "loans", 0, ctx.counts.loans)).toThrow(/no IOF rate table/);
    expect(toIsoDate(earliestLoanContractDay(manifest)!)).toBe("2020-06-04");
  });
});
