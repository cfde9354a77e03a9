import { describe, expect, test } from "bun:test";
import { generateBatch, rowObject } from "../../src/factories/index.ts";
import { computeLoan, parseMoney, verifyLoan } from "../../src/finance/index.ts";
import { contextFor, profile, smallManifest } from "./utils.ts";

describe("factories - loans and installments", () => {
  for (const [environment, term] of [
    ["dev", 1],
    ["staging", 12],
    ["staging", 36],
  ] as const) {
    test(`loans re-verify against the finance routine and installments sum to principal (${environment}, term ${term})`, () => {
      const manifest = smallManifest(profile(environment, "banco-alfa"), {}, term);
      const ctx = contextFor(manifest);
      const loans = generateBatch(ctx, "loans", 0, ctx.counts.loans).rows.map((r) => rowObject("loans", r));
      const installments = generateBatch(ctx, "installments", 0, ctx.counts.installments).rows.map((r) =>
        rowObject("installments", r),
      );
      expect(installments.length).toBe(loans.length * term);
      loans.forEach((loan, k) => {
        const own = installments.slice(k * term, (k + 1) * term);
        const sum = own.reduce((s, i) => s + parseMoney(i.principal_amount as string), 0);
        expect(sum).toBe(parseMoney(loan.principal as string));
        expect(own.map((i) => i.number)).toEqual(Array.from({ length: term }, (_, n) => n + 1));
        expect(own.every((i) => i.loan_id === loan.id)).toBe(true);
        const recomputed = computeLoan({
          method: loan.amortization as "price" | "sac",
          borrower: (loan.product === "working_capital" ? "PJ" : "PF") as "PF" | "PJ",
          principalCents: parseMoney(loan.principal as string),
          monthlyRate: loan.monthly_rate as string,
          termMonths: term,
          firstDueOn: loan.first_due_on as string,
          contractedOn: loan.contracted_on as string,
        });
        verifyLoan(
          {
            installments: own.map((i) => ({
              number: i.number as number,
              dueOn: i.due_on as string,
              principalCents: parseMoney(i.principal_amount as string),
              interestCents: parseMoney(i.interest_amount as string),
              totalCents: parseMoney(i.total_amount as string),
              balanceCents: parseMoney(i.outstanding_balance as string),
            })),
            iofCents: parseMoney(loan.iof_amount as string),
            cetAnnual: recomputed.figures.cetAnnual,
            cetMonthly: recomputed.figures.cetMonthly,
          },
          recomputed.figures,
        );
        expect(loan.cet_annual).toBe(recomputed.figures.cetAnnual);
        expect((loan.first_due_on as string) > (loan.contracted_on as string)).toBe(true);
      });
    });
  }

  test("installment states that cannot follow their loans are refused (VALIDATION_FAILED)", () => {
    // 40 loans × 1 installment: 1 % cancelled installments rounds to 0, but one loan is cancelled.
    const manifest = smallManifest(profile("staging", "banco-alfa"), {}, 1);
    expect(() => contextFor(manifest)).toThrow(
      expect.objectContaining({
        code: "VALIDATION_FAILED",
        errors: [expect.objectContaining({ pointer: "/state_distribution/installments" })],
      }),
    );
  });

  test("the referenced account belongs to the loan's customer", () => {
    const ctx = contextFor(smallManifest(profile("dev", "banco-alfa")));
    const accounts = new Map(
      generateBatch(ctx, "bank_accounts", 0, ctx.counts.bank_accounts).rows.map((r) => [
        r[0],
        rowObject("bank_accounts", r),
      ]),
    );
    for (const row of generateBatch(ctx, "loans", 0, ctx.counts.loans).rows) {
      const loan = rowObject("loans", row);
      expect(accounts.get(loan.account_id)?.customer_id).toBe(loan.customer_id);
    }
  });
});
