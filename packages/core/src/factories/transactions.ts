import { weightedTable } from "../determinism/index.ts";
import { formatMoney } from "../finance/index.ts";
import { cnpjCheckDigits, cpfCheckDigits, FIRST_NAMES, LAST_NAMES } from "../pii/index.ts";
import { COMPANY_SECTORS, COMPANY_WORDS, COUNTERPARTY_ISPBS } from "./brazil.ts";
import { isoDay as isoDayOf, pad2 } from "./codes.ts";
import { idOf } from "./derived.ts";
import { loanPlan } from "./loans.ts";
import type { GenerationContext } from "./types.ts";

/** Transaction kinds of the schema. */
export type TransactionKind =
  | "pix_in"
  | "pix_out"
  | "ted_in"
  | "ted_out"
  | "boleto"
  | "card"
  | "fee"
  | "loan_disbursement"
  | "installment_payment";

const BASE: readonly (readonly [TransactionKind, number])[] = [
  ["pix_in", 25],
  ["pix_out", 25],
  ["ted_in", 5],
  ["ted_out", 5],
  ["boleto", 12],
  ["card", 20],
  ["fee", 3],
];
const KINDS = weightedTable(BASE);
const KINDS_WITH_LOAN = weightedTable([...BASE, ["loan_disbursement", 1], ["installment_payment", 4]] as const);

/** Per kind: description, log-normal median amount in reais and spread. */
const KIND_INFO: Record<TransactionKind, { description: string; median: number; sigma: number; credit: boolean }> = {
  pix_in: { description: "Pix recebido", median: 150, sigma: 1.1, credit: true },
  pix_out: { description: "Pix enviado", median: 120, sigma: 1.1, credit: false },
  ted_in: { description: "TED recebida", median: 3_000, sigma: 1.0, credit: true },
  ted_out: { description: "TED enviada", median: 2_500, sigma: 1.0, credit: false },
  boleto: { description: "Pagamento de boleto", median: 350, sigma: 0.9, credit: false },
  card: { description: "Compra com cartão de débito", median: 90, sigma: 1.0, credit: false },
  fee: { description: "Tarifa de manutenção de conta", median: 25, sigma: 0.4, credit: false },
  loan_disbursement: { description: "Liberação de empréstimo", median: 0, sigma: 0, credit: true },
  installment_payment: { description: "Pagamento de parcela de empréstimo", median: 800, sigma: 0.8, credit: false },
};

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DIGITS = 1_000_000_000;

function base62(n: number, width: number): string {
  let out = "";
  let x = n;
  for (let i = 0; i < width; i++) {
    out = ALNUM[x % 62] + out;
    x = Math.floor(x / 62);
  }
  return out;
}

/** 9 digits of a u32 draw, zero-padded. */
function nineDigits(u: number): string {
  return String(u % DIGITS).padStart(9, "0");
}

/**
 * Financial transaction t on account t mod accounts, in the 90 days before the reference date.
 * Loan kinds only occur on account a when loan a exists and uses it (a < min(customers,
 * accounts, loans)); a disbursement carries the loan's principal on its contract day. Pix carry
 * a BCB end-to-end id `E` + payer ISPB + yyyyMMddHHmm + 11 alphanumerics, whose last six are t in
 * base 62, so ids are unique per tenant by construction.
 */
export function transactionRow(ctx: GenerationContext, t: number): unknown[] {
  const s = ctx.streams.financial_transactions;
  const a = t % ctx.counts.bank_accounts;
  const loanish = a < ctx.loanCustomers && a < ctx.counts.loans;
  const kind = s.weighted(t, 1, loanish ? KINDS_WITH_LOAN : KINDS);
  const info = KIND_INFO[kind];
  const { cents, dayString, dayCompact, second } = amountAndTime(ctx, t, a, kind);
  const hh = pad2(Math.floor(second / 3600));
  const mm = pad2(Math.floor((second % 3600) / 60));
  const occurredAt = `${dayString}T${hh}:${mm}:${pad2(second % 60)}.000Z`;
  const party = counterparty(ctx, t, kind, `${dayCompact}${hh}${mm}`);
  return [
    idOf(ctx, "financial_transactions", t),
    ctx.tenant,
    idOf(ctx, "bank_accounts", a),
    kind,
    info.credit ? "credit" : "debit",
    formatMoney(cents),
    occurredAt,
    info.description,
    party.name,
    party.document,
    party.ispb,
    party.branch,
    party.account,
    party.e2e,
    kind === "loan_disbursement" || kind === "installment_payment" ? idOf(ctx, "loans", a) : null,
    occurredAt,
  ];
}

/**
 * Amount (cents) and when: a disbursement carries its loan's principal on the contract day; any
 * other kind a log-normal amount on one of the last 90 days (Pix and card at any hour, the rest in
 * business hours).
 */
function amountAndTime(
  ctx: GenerationContext,
  t: number,
  a: number,
  kind: TransactionKind,
): { cents: number; dayString: string; dayCompact: string; second: number } {
  const s = ctx.streams.financial_transactions;
  if (kind === "loan_disbursement") {
    const plan = loanPlan(ctx, a);
    const dayString = isoOf(ctx, plan.timeline.contractedDay);
    return {
      cents: plan.terms.principalCents,
      dayString,
      dayCompact: dayString.replaceAll("-", ""),
      second: s.int(t, 2, 10 * 3600, 16 * 3600),
    };
  }
  const info = KIND_INFO[kind];
  const pix = kind === "pix_in" || kind === "pix_out";
  const d = s.int(t, 4, 1, 90);
  return {
    cents: Math.max(1, Math.round(s.lognormal(t, 3, Math.log(info.median), info.sigma) * 100)),
    dayString: ctx.recentDays[d] as string,
    dayCompact: ctx.recentDaysCompact[d] as string,
    second: pix || kind === "card" ? s.int(t, 2, 0, 86_399) : s.int(t, 2, 8 * 3600, 20 * 3600),
  };
}

interface Counterparty {
  name: string | null;
  document: string | null;
  ispb: string | null;
  branch: string | null;
  account: string | null;
  e2e: string | null;
}

const NO_COUNTERPARTY: Readonly<Counterparty> = {
  name: null,
  document: null,
  ispb: null,
  branch: null,
  account: null,
  e2e: null,
};

/**
 * The other side: a person (CPF, bank, and a branch and account for TED or an end-to-end id for
 * Pix), a company for a boleto (CNPJ) or a card (name only); none for other kinds. `minute` is
 * the transaction's yyyyMMddHHmm.
 */
function counterparty(ctx: GenerationContext, t: number, kind: TransactionKind, minute: string): Counterparty {
  const s = ctx.streams.financial_transactions;
  const ted = kind === "ted_in" || kind === "ted_out";
  if (ted || kind === "pix_in" || kind === "pix_out") {
    const name = `${s.pick(t, 5, FIRST_NAMES)} ${s.pick(t, 6, LAST_NAMES)}`;
    const base = nineDigits(s.u32(t, 7));
    const document = base + cpfCheckDigits(base);
    const ispb = s.pick(t, 8, COUNTERPARTY_ISPBS);
    if (ted) {
      const branch = String(s.int(t, 9, 1, 9999)).padStart(4, "0");
      return { name, document, ispb, branch, account: String(s.int(t, 10, 10_000, 999_999_999)), e2e: null };
    }
    const payer = kind === "pix_out" ? ctx.tenantIspb : ispb;
    const e2e = `E${payer}${minute}${base62(s.u32(t, 11) % 916_132_832, 5)}${base62(t, 6)}`;
    return { name, document, ispb, branch: null, account: null, e2e };
  }
  if (kind === "boleto") {
    const name = `${s.pick(t, 5, COMPANY_WORDS)} ${s.pick(t, 6, COMPANY_SECTORS)} Ltda`;
    const first12 = `${String(s.u32(t, 7) % 100_000_000).padStart(8, "0")}0001`;
    const document = first12 + cnpjCheckDigits(first12);
    return { name, document, ispb: null, branch: null, account: null, e2e: null };
  }
  if (kind === "card") {
    const name = `${s.pick(t, 5, COMPANY_WORDS)} ${s.pick(t, 6, COMPANY_SECTORS)}`;
    return { name, document: null, ispb: null, branch: null, account: null, e2e: null };
  }
  return NO_COUNTERPARTY;
}

function isoOf(ctx: GenerationContext, day: number): string {
  const d = ctx.refDay - day;
  return d >= 0 && d < ctx.recentDays.length ? (ctx.recentDays[d] as string) : isoDayOf(day);
}
