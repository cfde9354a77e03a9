import { SementeError } from "../errors/index.ts";
import type { Entity } from "../manifest/index.ts";
import { bankAccountRow, contractRow, creditLimitRow } from "./accounts.ts";
import { categoryRow, supplierRows } from "./catalog.ts";
import { addressRow, customerRows } from "./customers.ts";
import { installmentRow, type LoanCache, loanRow } from "./loans.ts";
import { consultantRows, tenantRow, userRows } from "./people.ts";
import { columnNames } from "./tables.ts";
import { transactionRow } from "./transactions.ts";
import type { Batch, GenerationContext } from "./types.ts";

type RowFactory = (ctx: GenerationContext, ordinal: number, cache: LoanCache) => unknown[];
/** Rows [from, to) at once: entities carrying PII mask a whole batch in one go. */
type BatchFactory = { batch: (ctx: GenerationContext, from: number, to: number) => unknown[][] };

/**
 * Foreign keys by ordinal arithmetic (C = customers, A = bank_accounts, K = account_categories,
 * S = consultants, U = users, L = loans, T = term_months, M = min(C, A)):
 *
 * | child row                | parent(s)                                                       |
 * |--------------------------|-----------------------------------------------------------------|
 * | tenants 0                | the manifest's tenant (id = slug)                               |
 * | consultant c             | user c when c < U (users [0, S) carry role `consultant`)        |
 * | supplier s               | category s mod K                                                |
 * | customer j               | consultant j mod S (none when S = 0)                            |
 * | address i                | customer i mod C; primary when i < C                            |
 * | bank account a           | customer a mod C, category a mod K                              |
 * | loan k                   | customer k mod M, account k mod M (account j < C is customer j's first) |
 * | installment i            | loan ⌊i / T⌋, number (i mod T) + 1                              |
 * | transaction t            | account t mod A; loan a (= t mod A) for loan kinds, only if a < min(M, L) |
 * | credit limit c           | customer c mod C, product ⌊c / C⌋ (≤ 4 per customer)            |
 * | contract x               | x < L: loan x and its customer k mod M; else customer x mod C   |
 */
const FACTORIES: Record<Entity, RowFactory | BatchFactory> = {
  tenants: tenantRow,
  users: { batch: userRows },
  consultants: { batch: consultantRows },
  account_categories: categoryRow,
  suppliers: { batch: supplierRows },
  customers: { batch: customerRows },
  addresses: addressRow,
  bank_accounts: bankAccountRow,
  loans: loanRow,
  installments: installmentRow,
  financial_transactions: transactionRow,
  credit_limits: creditLimitRow,
  contracts: contractRow,
};

function checkRange(ctx: GenerationContext, entity: Entity, from: number, to: number): void {
  const n = ctx.counts[entity];
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from || to > n) {
    throw new SementeError("VALIDATION_FAILED", `batch [${from}, ${to}) is outside ${entity}'s ${n} planned rows`);
  }
}

/**
 * Rows [from, to) of one entity, in ordinal order. Each row is a pure function of the context and
 * its ordinal: any split of an entity into batches yields the same rows.
 */
export function generateBatch(ctx: GenerationContext, entity: Entity, from: number, to: number): Batch {
  checkRange(ctx, entity, from, to);
  const factory = FACTORIES[entity];
  if (typeof factory !== "function")
    return { entity, columns: columnNames(entity), rows: factory.batch(ctx, from, to) };
  const cache: LoanCache = { last: undefined };
  const rows: unknown[][] = new Array(to - from);
  for (let i = from; i < to; i++) rows[i - from] = factory(ctx, i, cache);
  return { entity, columns: columnNames(entity), rows };
}

/** Row `ordinal` of `entity` alone, identical to the same row inside any batch. */
export function generateRow(ctx: GenerationContext, entity: Entity, ordinal: number): unknown[] {
  checkRange(ctx, entity, ordinal, ordinal + 1);
  const factory = FACTORIES[entity];
  if (typeof factory !== "function") return factory.batch(ctx, ordinal, ordinal + 1)[0] as unknown[];
  return factory(ctx, ordinal, { last: undefined });
}

/** A generated row as an object keyed by column name (for contracts, digests and tests). */
export function rowObject(entity: Entity, row: readonly unknown[]): Record<string, unknown> {
  const names = columnNames(entity);
  const out: Record<string, unknown> = {};
  for (let c = 0; c < names.length; c++) out[names[c] as string] = row[c];
  return out;
}
