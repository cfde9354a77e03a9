import { rowId, type Stream } from "../determinism/index.ts";
import { COMPANY_SECTORS, COMPANY_SUFFIXES, COMPANY_WORDS } from "./brazil.ts";
import { isoInstant } from "./codes.ts";
import type { GenerationContext } from "./types.ts";

/**
 * Values of one row that other entities also need (the kind of customer j, the branch of
 * consultant c…). Each is a pure function of (context, ordinal), so a child recomputes its
 * parent's value instead of looking it up.
 */

/** Field numbers of the customers stream read by other entities. */
export const CustomerField = { kind: 1 } as const;

/** Whether customer j is a company (PJ, 15 %) rather than a person (PF). */
export function isCompany(ctx: GenerationContext, j: number): boolean {
  return ctx.streams.customers.chance(j, CustomerField.kind, 0.15);
}

/** A synthetic company name: word, sector, legal suffix. */
export function companyName(stream: Stream, i: number, field: number): string {
  return `${stream.pick(i, field, COMPANY_WORDS)} ${stream.pick(i, field + 1, COMPANY_SECTORS)} ${stream.pick(i, field + 2, COMPANY_SUFFIXES)}`;
}

/** Display name of user u (also the name of consultant u when linked). */
export function userName(ctx: GenerationContext, u: number): string {
  return ctx.masker.fullName(u, "users");
}

/** E-mails of users (unique per tenant: the masker's token is a permutation of the ordinal). */
export function userEmails(ctx: GenerationContext, users: readonly number[], names: readonly string[]): string[] {
  return ctx.masker.many.email(users, names, "users");
}

/** Branch index of consultant c: consultants are spread evenly over the tenant's branches. */
export function consultantBranch(ctx: GenerationContext, c: number): number {
  return c % ctx.branches;
}

/** Branch index of customer j: the branch of its consultant, or j mod branches without consultants. */
export function customerBranch(ctx: GenerationContext, j: number): number {
  const consultants = ctx.counts.consultants;
  return consultants > 0 ? consultantBranch(ctx, j % consultants) : j % ctx.branches;
}

/** The customer of loan k: k mod min(customers, accounts), a customer that owns account ordinal = its own. */
export function loanCustomer(ctx: GenerationContext, k: number): number {
  return k % ctx.loanCustomers;
}

/** ID of row `ordinal` of `entity`. */
export function idOf(ctx: GenerationContext, entity: keyof GenerationContext["namespaces"], ordinal: number): string {
  return rowId(ctx.namespaces[entity], ordinal);
}

/** An instant between `minDays` and `maxDays` days before the reference date, during business hours. */
export function pastInstant(
  ctx: GenerationContext,
  stream: Stream,
  i: number,
  field: number,
  minDays: number,
  maxDays: number,
): string {
  return isoInstant(
    ctx.refDay - stream.int(i, field, minDays, maxDays),
    stream.int(i, field + 1, 11 * 3600, 21 * 3600),
  );
}
