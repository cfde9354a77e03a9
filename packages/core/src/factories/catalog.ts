import { companyName, idOf, pastInstant } from "./derived.ts";
import { maskedWhere, ordinalsOf } from "./masked.ts";
import type { GenerationContext } from "./types.ts";

/** Account kinds of the schema. */
export type AccountKind = "checking" | "savings" | "payment";

/** The per-tenant account catalogue (R4.1: materialized per tenant, no global catalogue). */
export const CATEGORY_CATALOGUE: readonly { code: string; name: string; kind: AccountKind; description: string }[] = [
  {
    code: "CONTA_CORRENTE_PF",
    name: "Conta corrente PF",
    kind: "checking",
    description: "Conta corrente de pessoa física",
  },
  { code: "CONTA_POUPANCA", name: "Conta poupança", kind: "savings", description: "Depósito de poupança" },
  { code: "CONTA_PAGAMENTO", name: "Conta de pagamento", kind: "payment", description: "Conta de pagamento pré-paga" },
  { code: "CONTA_CORRENTE_PJ", name: "Conta corrente PJ", kind: "checking", description: "Conta corrente empresarial" },
  { code: "CONTA_SALARIO", name: "Conta salário", kind: "payment", description: "Conta para recebimento de salário" },
  { code: "CONTA_UNIVERSITARIA", name: "Conta universitária", kind: "checking", description: "Pacote para estudantes" },
  { code: "CONTA_DIGITAL", name: "Conta digital", kind: "payment", description: "Conta aberta por canais digitais" },
  {
    code: "POUPANCA_PROGRAMADA",
    name: "Poupança programada",
    kind: "savings",
    description: "Poupança com aporte mensal",
  },
];

/** Catalogue entry of category k: entry k mod size, suffixed with its cycle beyond the first. */
export function categoryEntry(k: number): { code: string; name: string; kind: AccountKind; description: string } {
  const n = CATEGORY_CATALOGUE.length;
  const entry = CATEGORY_CATALOGUE[k % n]!;
  const cycle = Math.floor(k / n);
  if (cycle === 0) return entry;
  return { ...entry, code: `${entry.code}_${cycle + 1}`, name: `${entry.name} ${cycle + 1}` };
}

/** Account category k. */
export function categoryRow(ctx: GenerationContext, k: number): unknown[] {
  const e = categoryEntry(k);
  return [
    idOf(ctx, "account_categories", k),
    ctx.tenant,
    e.code,
    e.name,
    e.description,
    true,
    pastInstant(ctx, ctx.streams.account_categories, k, 1, 1800, 3000),
  ];
}

/** Suppliers [from, to), filed under category s mod categories; CNPJ from the masker (unique per tenant). */
export function supplierRows(ctx: GenerationContext, from: number, to: number): unknown[][] {
  const st = ctx.streams.suppliers;
  const ordinals = ordinalsOf(from, to);
  const names = ordinals.map((s) => companyName(st, s, 1));
  const cnpjs = ctx.masker.many.cnpj(ordinals, "suppliers");
  const emails = maskedWhere(
    ordinals,
    ordinals.map((s) => st.chance(s, 4, 0.8)),
    (kept) =>
      ctx.masker.many.email(
        kept,
        kept.map((s) => names[s - from] as string),
        "suppliers",
      ),
  );
  const phones = maskedWhere(
    ordinals,
    ordinals.map((s) => st.chance(s, 5, 0.7)),
    (kept) => ctx.masker.many.phone(kept, "suppliers"),
  );
  return ordinals.map((s, i) => [
    idOf(ctx, "suppliers", s),
    ctx.tenant,
    idOf(ctx, "account_categories", s % ctx.counts.account_categories),
    names[i],
    cnpjs[i],
    emails[i],
    phones[i],
    "active",
    pastInstant(ctx, st, s, 6, 30, 2400),
  ]);
}
