import { weightedTable } from "../determinism/index.ts";
import { branchCode, isoInstant, slugName, titleOfSlug } from "./codes.ts";
import { consultantBranch, idOf, pastInstant, userEmail, userName } from "./derived.ts";
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
export function userRow(ctx: GenerationContext, u: number): unknown[] {
  const s = ctx.streams.users;
  const name = userName(ctx, u);
  const first = slugName(name.split(" ")[0] ?? "user") || "user";
  const role = u < ctx.counts.consultants ? "consultant" : s.weighted(u, 1, ROLES);
  return [
    idOf(ctx, "users", u),
    ctx.tenant,
    `${first}.${u.toString(36)}`,
    userEmail(ctx, u, name),
    name,
    role,
    "active",
    role === "admin" || s.chance(u, 2, 0.85),
    pastInstant(ctx, s, u, 3, 30, 1800),
  ];
}

/** Consultant c: user c when that user exists (same name and e-mail), its branch c mod branches. */
export function consultantRow(ctx: GenerationContext, c: number): unknown[] {
  const s = ctx.streams.consultants;
  const linked = c < ctx.counts.users;
  const name = linked ? userName(ctx, c) : ctx.masker.fullName(c, "consultants");
  return [
    idOf(ctx, "consultants", c),
    ctx.tenant,
    linked ? idOf(ctx, "users", c) : null,
    name,
    linked ? userEmail(ctx, c, name) : ctx.masker.email(c, name, "consultants"),
    s.chance(c, 1, 0.9) ? ctx.masker.phone(c, "consultants") : null,
    branchCode(consultantBranch(ctx, c)),
    "active",
    pastInstant(ctx, s, c, 2, 30, 1800),
  ];
}
