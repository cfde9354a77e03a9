import { weightedTable } from "../determinism/index.ts";
import { branchCode, isoInstant, slugName, titleOfSlug } from "./codes.ts";
import { consultantBranch, idOf, pastInstant, userEmails, userName } from "./derived.ts";
import { maskedWhere, ordinalsOf } from "./masked.ts";
import type { GenerationContext } from "./types.ts";

const ROLES = weightedTable([
  ["admin", 2],
  ["manager", 10],
  ["operator", 70],
  ["auditor", 5],
] as const);

/** The one tenant row (ordinal 0): the bank itself; its ISPB is the root of its CNPJ, as at the BCB. */
export function tenantRow(ctx: GenerationContext, _i: number): unknown[] {
  const name = titleOfSlug(ctx.tenant);
  return [
    ctx.tenant,
    ctx.tenant,
    `${name} S.A.`,
    name,
    ctx.masker.cnpj(0, "tenants"),
    ctx.tenantIspb,
    "active",
    isoInstant(ctx.refDay - 3650, 0),
  ];
}

/**
 * User u. Users [0, consultants) are the consultants' logins (role `consultant`, linked by
 * consultant c → user c); the rest draw a back-office role. Login: first-name slug + base-36
 * ordinal, unique by construction.
 */
export function userRows(ctx: GenerationContext, from: number, to: number): unknown[][] {
  const ordinals = ordinalsOf(from, to);
  const names = ordinals.map((u) => userName(ctx, u));
  const emails = userEmails(ctx, ordinals, names);
  return ordinals.map((u, i) => userRow(ctx, u, names[i] as string, emails[i] as string));
}

function userRow(ctx: GenerationContext, u: number, name: string, email: string): unknown[] {
  const s = ctx.streams.users;
  const first = slugName(name.split(" ")[0] ?? "user") || "user";
  const role = u < ctx.counts.consultants ? "consultant" : s.weighted(u, 1, ROLES);
  return [
    idOf(ctx, "users", u),
    ctx.tenant,
    `${first}.${u.toString(36)}`,
    email,
    name,
    role,
    "active",
    role === "admin" || s.chance(u, 2, 0.85),
    pastInstant(ctx, s, u, 3, 30, 1800),
  ];
}

/** Consultants [from, to): user c when that user exists (same name and e-mail), its branch c mod branches. */
export function consultantRows(ctx: GenerationContext, from: number, to: number): unknown[][] {
  const s = ctx.streams.consultants;
  const ordinals = ordinalsOf(from, to);
  const linked = ordinals.map((c) => c < ctx.counts.users);
  const names = ordinals.map((c, i) => (linked[i] ? userName(ctx, c) : ctx.masker.fullName(c, "consultants")));
  const namesOf = (kept: number[]) => kept.map((c) => names[c - from] as string);
  const userMails = maskedWhere(ordinals, linked, (kept) => userEmails(ctx, kept, namesOf(kept)));
  const ownMails = maskedWhere(
    ordinals,
    linked.map((l) => !l),
    (kept) => ctx.masker.many.email(kept, namesOf(kept), "consultants"),
  );
  const phones = maskedWhere(
    ordinals,
    ordinals.map((c) => s.chance(c, 1, 0.9)),
    (kept) => ctx.masker.many.phone(kept, "consultants"),
  );
  return ordinals.map((c, i) => [
    idOf(ctx, "consultants", c),
    ctx.tenant,
    linked[i] ? idOf(ctx, "users", c) : null,
    names[i],
    userMails[i] ?? ownMails[i],
    phones[i],
    branchCode(consultantBranch(ctx, c)),
    "active",
    pastInstant(ctx, s, c, 2, 30, 1800),
  ]);
}
