import { describe, expect, test } from "bun:test";
import { isSementeError } from "../../src/errors/index.ts";
import { computeLoan, type LoanFigures, verifyLoan } from "../../src/finance/index.ts";

const loan = computeLoan({
  method: "price",
  borrower: "PF",
  principalCents: 1_500_000,
  monthlyRate: "0.0189",
  termMonths: 24,
  contractedOn: "2025-01-10",
  firstDueOn: "2025-02-10",
  feesCents: 25_000,
});

function problemOf(stored: LoanFigures): unknown {
  try {
    verifyLoan(stored, loan.figures);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("verifyLoan", () => {
  test("accepts identical figures, including an equivalent rate spelling", () => {
    expect(() => verifyLoan(structuredClone(loan.figures), loan.figures)).not.toThrow();
    expect(() => verifyLoan({ ...loan.figures, cetAnnual: `${loan.figures.cetAnnual}00` }, loan.figures)).not.toThrow();
  });

  test("one cent off in any installment field throws FINANCE_DIVERGENCE", () => {
    for (const field of ["principalCents", "interestCents", "totalCents", "balanceCents"] as const) {
      const installments = structuredClone([...loan.figures.installments]);
      const row = installments[7]!;
      installments[7] = { ...row, [field]: row[field] + 1 };
      const error = problemOf({ ...loan.figures, installments });
      expect(isSementeError(error) && error.code).toBe("FINANCE_DIVERGENCE");
      expect(isSementeError(error) && error.extensions).toEqual({ field, installment: 8 });
    }
  });

  test("IOF, CET, due dates and installment count are verified too", () => {
    const cases: LoanFigures[] = [
      { ...loan.figures, iofCents: loan.figures.iofCents - 1 },
      { ...loan.figures, cetAnnual: "0.25" },
      { ...loan.figures, cetMonthly: "0.01" },
      { ...loan.figures, installments: loan.figures.installments.slice(1) },
      {
        ...loan.figures,
        installments: loan.figures.installments.map((row, index) =>
          index === 3 ? { ...row, dueOn: "2025-05-11" } : row,
        ),
      },
    ];
    for (const stored of cases) {
      const error = problemOf(stored);
      expect(isSementeError(error) && error.code).toBe("FINANCE_DIVERGENCE");
    }
  });
});
