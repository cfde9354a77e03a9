import { weightedTable } from "../determinism/index.ts";
import { formatMoney } from "../finance/index.ts";
import { COMPLEMENTS, DISTRICTS, STREET_NAMES, STREET_TYPES, UF_TABLE } from "./brazil.ts";
import { isoDay } from "./codes.ts";
import { companyName, idOf, isCompany, pastInstant } from "./derived.ts";
import { maskedWhere, ordinalsOf } from "./masked.ts";
import { stateOf } from "./states.ts";
import type { GenerationContext } from "./types.ts";

const RISK = weightedTable([
  ["AA", 10],
  ["A", 25],
  ["B", 25],
  ["C", 18],
  ["D", 10],
  ["E", 5],
  ["F", 3],
  ["G", 2],
  ["H", 2],
] as const);

/** Monthly income in cents: log-normal, median R$ 3,500 for people, R$ 80,000 revenue for companies. */
export function monthlyIncomeCents(ctx: GenerationContext, j: number, company: boolean): number {
  const s = ctx.streams.customers;
  const reais = company ? s.lognormal(j, 10, Math.log(80_000), 1.0) : s.lognormal(j, 10, Math.log(3_500), 0.75);
  return Math.min(Math.round(reais * 100), 5_000_000_000);
}

/** The masked values of one customer (see {@link customerRows}). */
interface CustomerPii {
  company: boolean;
  name: string;
  cpf: string | null;
  cnpj: string | null;
  email: string;
  phone: string;
}

/**
 * Customers [from, to): a person (PF, CPF, adult birth date) or a company (PJ, CNPJ, trade name),
 * PII from the masker by ordinal (every field of the batch masked at once); consultant j mod
 * consultants; status from the state plan.
 */
export function customerRows(ctx: GenerationContext, from: number, to: number): unknown[][] {
  const s = ctx.streams.customers;
  const ordinals = ordinalsOf(from, to);
  const company = ordinals.map((j) => isCompany(ctx, j));
  const names = ordinals.map((j, i) => (company[i] ? companyName(s, j, 2) : ctx.masker.fullName(j, "customers")));
  const cpfs = maskedWhere(
    ordinals,
    company.map((c) => !c),
    (pf) => ctx.masker.many.cpf(pf, "customers"),
  );
  const cnpjs = maskedWhere(ordinals, company, (pj) => ctx.masker.many.cnpj(pj, "customers"));
  const emails = ctx.masker.many.email(ordinals, names, "customers");
  const phones = ctx.masker.many.phone(ordinals, "customers");
  return ordinals.map((j, i) =>
    customerRow(ctx, j, {
      company: company[i] as boolean,
      name: names[i] as string,
      cpf: cpfs[i] as string | null,
      cnpj: cnpjs[i] as string | null,
      email: emails[i] as string,
      phone: phones[i] as string,
    }),
  );
}

function customerRow(ctx: GenerationContext, j: number, pii: CustomerPii): unknown[] {
  const s = ctx.streams.customers;
  const { company, name } = pii;
  const consultants = ctx.counts.consultants;
  return [
    idOf(ctx, "customers", j),
    ctx.tenant,
    company ? "PJ" : "PF",
    name,
    company ? name.replace(/ (Ltda|S\.A\.|Eireli|ME)$/, "") : null,
    pii.cpf,
    pii.cnpj,
    company ? null : isoDay(ctx.refDay - s.int(j, 5, 18 * 366, 85 * 365)),
    pii.email,
    pii.phone,
    stateOf(ctx.states.customers, j, "active"),
    consultants > 0 ? idOf(ctx, "consultants", j % consultants) : null,
    formatMoney(monthlyIncomeCents(ctx, j, company)),
    s.weighted(j, 6, RISK),
    pastInstant(ctx, s, j, 7, 30, 3650),
  ];
}

/**
 * Address i of customer i mod customers; the first address of each customer (i < customers) is
 * its primary one. Residential for people, commercial for companies. The UF is drawn by
 * population and the CEP inside that UF's Correios range.
 */
export function addressRow(ctx: GenerationContext, i: number): unknown[] {
  const s = ctx.streams.addresses;
  const j = i % ctx.counts.customers;
  const uf = s.weighted(i, 1, UF_TABLE);
  const prefix = s.int(i, 2, uf.cep[0], uf.cep[1]);
  const suffix = s.chance(i, 3, 0.4) ? 0 : s.int(i, 4, 1, 999);
  const numbered = s.chance(i, 5, 0.97);
  return [
    idOf(ctx, "addresses", i),
    ctx.tenant,
    idOf(ctx, "customers", j),
    isCompany(ctx, j) ? "commercial" : "residential",
    i < ctx.counts.customers,
    `${s.pick(i, 6, STREET_TYPES)} ${s.pick(i, 7, STREET_NAMES)}`,
    numbered ? String(s.int(i, 8, 1, 9999)) : "S/N",
    s.chance(i, 9, 0.4) ? s.pick(i, 10, COMPLEMENTS) : null,
    s.pick(i, 11, DISTRICTS),
    s.pick(i, 12, uf.cities),
    uf.uf,
    String(prefix).padStart(5, "0") + String(suffix).padStart(3, "0"),
    pastInstant(ctx, s, i, 13, 30, 3650),
  ];
}
