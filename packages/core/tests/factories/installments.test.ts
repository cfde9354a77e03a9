import { describe, expect, test } from "bun:test";
import { generateBatch, rowObject } from "../../src/factories/index.ts";
import { parseMoney } from "../../src/finance/index.ts";
import { contextFor, profile, smallManifest } from "./utils.ts";

describe("factories - installments for every allowed term", () => {
  // The schema allows 1–420 months; Price at the factory's highest rates over long terms used to
  // end in 0.00 installments, which total_amount > 0 refuses.
  for (const term of [1, 2, 59, 120, 240, 360, 420]) {
    test(`no installment is zero or negative, Price stays within a cent of its payment (term ${term})`, () => {
      const manifest = smallManifest(profile("dev", "banco-alfa"), {}, term);
      manifest.volumetry.loans.count = 60;
      const ctx = contextFor(manifest);
      const loans = generateBatch(ctx, "loans", 0, ctx.counts.loans).rows.map((row) => rowObject("loans", row));
      const installments = generateBatch(ctx, "installments", 0, ctx.counts.installments).rows.map((row) =>
        rowObject("installments", row),
      );
      expect(installments).toHaveLength(60 * term);
      expect(new Set(loans.map((loan) => loan.amortization))).toEqual(new Set(["price", "sac"]));
      loans.forEach((loan, k) => {
        const totals = installments.slice(k * term, (k + 1) * term).map((row) => {
          expect(parseMoney(row.principal_amount as string)).toBeGreaterThanOrEqual(0);
          expect(parseMoney(row.interest_amount as string)).toBeGreaterThanOrEqual(0);
          return parseMoney(row.total_amount as string);
        });
        expect(Math.min(...totals)).toBeGreaterThan(0);
        const spread = Math.max(...totals) - Math.min(...totals);
        if (loan.amortization === "price") expect(spread).toBeLessThanOrEqual(1);
        else expect(totals.every((total, n) => n === 0 || total <= totals[n - 1]!)).toBe(true);
      });
    });
  }
});
