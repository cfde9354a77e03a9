#!/usr/bin/env bun
// The script a team would write instead of Semente: seeded @faker-js/faker (pt_BR) generating the
// same 13 banking tables with the same row counts, valid keys and CHECK-valid values, streamed by
// postgres.js `COPY … FROM STDIN` — one stream per table, in FK order, as a superuser (no RLS
// applies), each COPY its own autocommitted statement, generation paced by the socket
// (write() → false waits for `drain`).
//
//   bun bench/peer-faker.ts [--scale 16]     (on a throwaway, migrated database; dropped at the end)
//
// bench/compare.ts runs it next to the pipeline on the same manifest and server.
import { fakerPT_BR as faker } from "@faker-js/faker";
import type { Sql } from "../packages/platform/src/db/index.ts";
import { ENTITY_TABLES } from "../packages/core/src/factories/index.ts";
import { ENTITIES, type Entity, type Manifest, plannedRows } from "../packages/core/src/manifest/index.ts";
import { copyText } from "../packages/platform/src/pipeline/index.ts";

/** What {@link runPeer} measured. */
export interface PeerResult {
  rows: number;
  /** Wall time of all 13 COPY streams, generation included (they overlap, as in the real script). */
  seconds: number;
  perEntity: { entity: Entity; rows: number; seconds: number }[];
}

const CHUNK_ROWS = 1_000;
const DAY_MS = 86_400_000;
const UFS = "AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO".split(" ");

const digits = (n: number) => faker.string.numeric({ length: n, allowLeadingZeros: true });
const pad = (n: number, width: number) => String(n).padStart(width, "0");
const day = (d: Date) => d.toISOString().slice(0, 10);
const money = (cents: number) => (cents / 100).toFixed(2);
const phone = () => `+55${digits(2)}9${digits(8)}`;
/** Unique per ordinal, realistic-looking local part. */
const email = (i: number, tag: string) =>
  `${
    faker.internet
      .username()
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, "") || "x"
  }.${tag}${i}@${faker.internet.domainName()}`;
const pick = <T>(values: readonly T[]): T => faker.helpers.arrayElement(values);
const chance = (p: number) => faker.number.float() < p;
/** First + last name: what fullName() returns, without its prefix/suffix templates (3× cheaper). */
const personName = () => `${faker.person.firstName()} ${faker.person.lastName()}`;

interface PeerState {
  tenant: string;
  ref: Date;
  counts: Record<Entity, number>;
  term: number;
  ids: Partial<Record<Entity, string[]>>;
  /** bank_accounts: kind per ordinal (loans pay into checking/savings alike). */
  loanPrincipal: number[];
  loanRate: number[];
}

const past = (s: PeerState, years: number) => faker.date.past({ years, refDate: s.ref });

/** One row per ordinal, as COPY columns in `ENTITY_TABLES` order. */
function rowFor(s: PeerState, entity: Entity, i: number, id: string): unknown[] {
  const t = s.tenant;
  const ids = s.ids as Record<Entity, string[]>;
  const created = past(s, 3).toISOString();
  switch (entity) {
    case "tenants":
      return [t, t, faker.company.name(), faker.company.name(), digits(14), digits(8), "active", created];
    case "users":
      return [
        id,
        t,
        `${faker.internet
          .username()
          .toLowerCase()
          .replace(/[^a-z0-9._-]/g, "")}.u${i}`,
        email(i, "u"),
        personName(),
        i < s.counts.consultants ? "consultant" : pick(["admin", "manager", "operator", "auditor"]),
        pick(["active", "active", "active", "locked", "disabled"]),
        faker.datatype.boolean(),
        created,
      ];
    case "consultants":
      return [
        id,
        t,
        i < s.counts.users ? ids.users[i] : null,
        personName(),
        email(i, "c"),
        chance(0.9) ? phone() : null,
        digits(4),
        pick(["active", "active", "inactive"]),
        created,
      ];
    case "account_categories":
      return [
        id,
        t,
        `CAT_${pad(i, 3)}`,
        faker.commerce.department(),
        faker.commerce.productDescription(),
        true,
        created,
      ];
    case "suppliers":
      return [
        id,
        t,
        ids.account_categories[i % s.counts.account_categories],
        faker.company.name(),
        pad(10_000_000_000_000 + i, 14),
        chance(0.8) ? email(i, "s") : null,
        chance(0.8) ? phone() : null,
        pick(["active", "inactive", "blocked"]),
        created,
      ];
    case "customers": {
      const pf = chance(0.8);
      return [
        id,
        t,
        pf ? "PF" : "PJ",
        pf ? personName() : faker.company.name(),
        pf ? null : faker.company.name(),
        pf ? pad(10_000_000_000 + i, 11) : null,
        pf ? null : pad(20_000_000_000_000 + i, 14),
        pf ? day(faker.date.birthdate({ mode: "age", min: 18, max: 90, refDate: s.ref })) : null,
        email(i, "k"),
        phone(),
        pick(["active", "active", "active", "blocked", "closed"]),
        s.counts.consultants > 0 ? ids.consultants[i % s.counts.consultants] : null,
        money(faker.number.int({ min: 100_000, max: 5_000_000 })),
        pick(["AA", "A", "B", "C", "D", "E", "F", "G", "H"]),
        created,
      ];
    }
    case "addresses":
      return [
        id,
        t,
        ids.customers[i % s.counts.customers],
        pick(["residential", "commercial"]),
        i < s.counts.customers,
        faker.location.street(),
        faker.location.buildingNumber().replace(/\D/g, "").slice(0, 6) || "S/N",
        chance(0.3) ? faker.location.secondaryAddress() : null,
        faker.location.county(),
        faker.location.city(),
        pick(UFS),
        digits(8),
        created,
      ];
    case "bank_accounts": {
      const kind = pick(["checking", "checking", "savings", "payment"]);
      const overdraft = kind === "checking" ? faker.number.int({ min: 0, max: 500_000 }) : 0;
      const status = pick(["active", "active", "active", "blocked", "closed"]);
      const opened = past(s, 10);
      return [
        id,
        t,
        ids.customers[i % s.counts.customers],
        ids.account_categories[i % s.counts.account_categories],
        pad(i % 10_000, 4),
        String(100_000 + Math.floor(i / 10_000)),
        pick(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "X"]),
        kind,
        status,
        money(faker.number.int({ min: -overdraft, max: 10_000_000 })),
        money(overdraft),
        day(opened),
        status === "closed" ? day(faker.date.between({ from: opened, to: s.ref })) : null,
        created,
      ];
    }
    case "loans": {
      const m = Math.min(s.counts.customers, s.counts.bank_accounts);
      const principal = faker.number.int({ min: 100_000, max: 50_000_000 });
      const monthly = faker.number.int({ min: 500, max: 45_000 }) / 1_000_000;
      s.loanPrincipal[i] = principal;
      s.loanRate[i] = monthly;
      const contracted = past(s, 2);
      return [
        id,
        t,
        ids.customers[i % m],
        ids.bank_accounts[i % m],
        pick(["personal", "payroll", "vehicle", "mortgage", "working_capital"]),
        pick(["price", "sac"]),
        money(principal),
        ((1 + monthly) ** 12 - 1).toFixed(6),
        monthly.toFixed(6),
        s.term,
        money(Math.round(principal * 0.0038)),
        ((1 + monthly) ** 12 - 1 + 0.01).toFixed(6),
        day(contracted),
        day(new Date(contracted.getTime() + 30 * DAY_MS)),
        pick(["active", "active", "paid", "defaulted", "cancelled"]),
        created,
      ];
    }
    case "installments": {
      const loan = Math.floor(i / s.term);
      const n = (i % s.term) + 1;
      const principal = s.loanPrincipal[loan] ?? 100_000;
      const share = Math.floor(principal / s.term);
      const outstanding = principal - share * n;
      const interest = Math.round((principal - share * (n - 1)) * (s.loanRate[loan] ?? 0));
      const status = pick(["open", "open", "paid", "overdue", "cancelled"]);
      return [
        id,
        t,
        ids.loans[loan],
        n,
        day(new Date(s.ref.getTime() + (n - 6) * 30 * DAY_MS)),
        money(share),
        money(interest),
        money(share + interest),
        money(Math.max(0, outstanding)),
        status,
        status === "paid" ? day(past(s, 1)) : null,
        created,
      ];
    }
    case "financial_transactions": {
      const a = i % s.counts.bank_accounts;
      const loanable = a < Math.min(s.counts.customers, s.counts.bank_accounts, s.counts.loans);
      const kinds = ["pix_in", "pix_out", "ted_in", "ted_out", "boleto", "card", "fee"];
      if (loanable) kinds.push("loan_disbursement", "installment_payment");
      const kind = pick(kinds);
      const credit = kind === "pix_in" || kind === "ted_in" || kind === "loan_disbursement";
      const pix = kind === "pix_in" || kind === "pix_out";
      const occurred = past(s, 1);
      const counterparty = kind !== "fee" && kind !== "card";
      return [
        id,
        t,
        ids.bank_accounts[a],
        kind,
        credit ? "credit" : "debit",
        money(faker.number.int({ min: 1, max: 2_000_000 })),
        occurred.toISOString(),
        `${faker.finance.transactionType()} ${faker.person.lastName()}`,
        counterparty ? personName() : null,
        counterparty ? digits(11) : null,
        counterparty ? digits(8) : null,
        counterparty ? digits(4) : null,
        counterparty ? digits(9) : null,
        pix ? `E${digits(8)}${occurred.toISOString().replace(/\D/g, "").slice(0, 12)}${pad(i, 11)}` : null,
        kind === "loan_disbursement" || kind === "installment_payment" ? ids.loans[a] : null,
        created,
      ];
    }
    case "credit_limits": {
      const limit = faker.number.int({ min: 0, max: 5_000_000 });
      const from = past(s, 1);
      return [
        id,
        t,
        ids.customers[i % s.counts.customers],
        ["overdraft", "credit_card", "personal_loan", "payroll_loan"][Math.floor(i / s.counts.customers)],
        money(limit),
        money(faker.number.int({ min: 0, max: limit })),
        pick(["active", "active", "suspended", "cancelled"]),
        day(from),
        day(new Date(from.getTime() + 365 * DAY_MS)),
        created,
      ];
    }
    case "contracts": {
      const loan = i < s.counts.loans;
      const m = Math.min(s.counts.customers, s.counts.bank_accounts);
      const status = pick(["active", "active", "active", "terminated", "cancelled"]);
      const signed = past(s, 3);
      return [
        id,
        t,
        loan ? ids.customers[i % m] : ids.customers[i % s.counts.customers],
        loan ? ids.loans[i] : null,
        loan ? "loan" : pick(["account_opening", "credit_card", "overdraft", "service"]),
        `CT-${pad(i, 10)}`,
        day(signed),
        status,
        status === "active" ? null : day(faker.date.between({ from: signed, to: s.ref })),
        created,
      ];
    }
  }
}

/** Parents whose ids a later table needs (kept in memory, as the script would). */
const KEEP_IDS = new Set<Entity>(["users", "consultants", "account_categories", "customers", "bank_accounts", "loans"]);

async function copyEntity(sql: Sql, s: PeerState, entity: Entity): Promise<number> {
  const n = s.counts[entity];
  const columns = ENTITY_TABLES[entity].columns.map((c) => c.name).join(", ");
  const keep = KEEP_IDS.has(entity) ? new Array<string>(n) : undefined;
  if (keep !== undefined) s.ids[entity] = keep;
  const writable = await sql.unsafe(`COPY ${ENTITY_TABLES[entity].table} (${columns}) FROM STDIN`).writable();
  const done = new Promise<void>((resolve, reject) => {
    writable.once("error", reject);
    writable.once("finish", resolve);
  });
  for (let from = 0; from < n; from += CHUNK_ROWS) {
    let chunk = "";
    for (let i = from; i < Math.min(n, from + CHUNK_ROWS); i++) {
      const id = faker.string.uuid();
      if (keep !== undefined) keep[i] = id;
      const row = rowFor(s, entity, i, id);
      chunk += `${row.map(copyText).join("\t")}\n`;
    }
    if (!writable.write(chunk)) await new Promise((resolve) => writable.once("drain", resolve));
  }
  writable.end();
  await done;
  return n;
}

/**
 * Fills the banking tables of the database behind `superuser` with the manifest's row counts,
 * seeded (`seed`) so two runs generate the same values. Times the whole thing, generation included.
 */
export async function runPeer(superuser: Sql, manifest: Manifest, seed = 42): Promise<PeerResult> {
  faker.seed(seed);
  const state: PeerState = {
    tenant: manifest.metadata.tenant,
    ref: new Date(manifest.reference_datetime),
    counts: plannedRows(manifest).perEntity,
    term: manifest.volumetry.loans.term_months,
    ids: {},
    loanPrincipal: [],
    loanRate: [],
  };
  const perEntity: PeerResult["perEntity"] = [];
  const started = performance.now();
  let rows = 0;
  // ENTITIES is in FK order: every parent before its children.
  for (const entity of ENTITIES) {
    const t0 = performance.now();
    const n = await copyEntity(superuser, state, entity);
    rows += n;
    perEntity.push({ entity, rows: n, seconds: (performance.now() - t0) / 1000 });
  }
  return { rows, seconds: (performance.now() - started) / 1000, perEntity };
}
