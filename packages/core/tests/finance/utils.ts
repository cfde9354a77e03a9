import type { Installment } from "../../src/finance/index.ts";
import { parseMoney } from "../../src/finance/index.ts";

/** One expected row: due date, amortization, interest, total, balance (money strings). */
export type Row = [dueOn: string, principal: string, interest: string, total: string, balance: string];

export function expected(table: readonly Row[]): Installment[] {
  return table.map(([dueOn, principal, interest, total, balance], index) => ({
    number: index + 1,
    dueOn,
    principalCents: parseMoney(principal),
    interestCents: parseMoney(interest),
    totalCents: parseMoney(total),
    balanceCents: parseMoney(balance),
  }));
}
