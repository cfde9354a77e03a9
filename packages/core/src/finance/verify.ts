import { SementeError } from "../errors/index.ts";
import { sameDecimal } from "./decimal.ts";
import type { Installment, LoanFigures } from "./types.ts";

const INSTALLMENT_FIELDS = ["dueOn", "principalCents", "interestCents", "totalCents", "balanceCents"] as const;

function divergence(field: string, expected: unknown, actual: unknown, installment?: number): SementeError {
  const where = installment === undefined ? field : `installment ${installment} ${field}`;
  return new SementeError(
    "FINANCE_DIVERGENCE",
    `${where} differs from the official routine: stored ${String(actual)}, recomputed ${String(expected)}`,
    { extensions: installment === undefined ? { field } : { field, installment } },
  );
}

function verifyInstallment(stored: Installment, recomputed: Installment): void {
  if (stored.number !== recomputed.number) {
    throw divergence("number", recomputed.number, stored.number, recomputed.number);
  }
  for (const field of INSTALLMENT_FIELDS) {
    if (stored[field] !== recomputed[field]) {
      throw divergence(field, recomputed[field], stored[field], recomputed.number);
    }
  }
}

/**
 * Asserts that stored loan figures equal the official routine's, to the cent for money and to
 * the last digit for rates ("0.10" equals "0.1"). Throws FINANCE_DIVERGENCE on the first difference.
 */
export function verifyLoan(stored: LoanFigures, recomputed: LoanFigures): void {
  if (stored.installments.length !== recomputed.installments.length) {
    throw divergence("installments", recomputed.installments.length, stored.installments.length);
  }
  recomputed.installments.forEach((installment, index) => {
    verifyInstallment(stored.installments[index]!, installment);
  });
  if (stored.iofCents !== recomputed.iofCents) throw divergence("iofCents", recomputed.iofCents, stored.iofCents);
  if (!sameDecimal(stored.cetAnnual, recomputed.cetAnnual)) {
    throw divergence("cetAnnual", recomputed.cetAnnual, stored.cetAnnual);
  }
  if (!sameDecimal(stored.cetMonthly, recomputed.cetMonthly)) {
    throw divergence("cetMonthly", recomputed.cetMonthly, stored.cetMonthly);
  }
}
