import type { BankingTable } from "../../src/db/index.ts";
import { BANKING_TABLES, withTenant } from "../../src/db/index.ts";
import { runningRun, type TestDatabase } from "../harness.ts";

/** Deterministic test UUID: tenant slot (1 byte), table slot (1 byte), row number. */
export function fixtureId(tenantSlot: number, table: BankingTable, row = 1): string {
  const t = BANKING_TABLES.indexOf(table);
  const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");
  return `${hex(tenantSlot, 8)}-${hex(t, 4)}-4000-8000-${hex(row, 12)}`;
}

const AT = "2025-01-01T00:00:00Z";

/**
 * One minimal valid row per banking table for `tenantId`, wired through its FKs. Only for RLS and
 * schema tests; the real rows come from the factories.
 */
export function bankingFixture(tenantId: string, slot: number, row = 1): Record<BankingTable, Record<string, unknown>> {
  const id = (table: BankingTable) => fixtureId(slot, table, row);
  const base = (table: BankingTable) => ({ id: id(table), tenant_id: tenantId, created_at: AT });
  return {
    tenants: {
      id: tenantId,
      tenant_id: tenantId,
      legal_name: `Banco ${tenantId} S.A.`,
      trade_name: `Banco ${tenantId}`,
      cnpj: "11222333000181",
      ispb: "12345678",
      status: "active",
      created_at: AT,
    },
    users: {
      ...base("users"),
      login: `ops.${row}`,
      email: `ops${row}@example.test`,
      display_name: "Operador",
      role: "operator",
      status: "active",
      mfa_enabled: true,
    },
    consultants: {
      ...base("consultants"),
      user_id: id("users"),
      name: "Consultora",
      email: `consultora${row}@example.test`,
      phone: "+5511987654321",
      branch_code: "0001",
      status: "active",
    },
    customers: {
      ...base("customers"),
      kind: "PF",
      full_name: "Maria Sintetica",
      cpf: `1234567890${row % 10}`,
      birth_date: "1990-05-10",
      email: `maria${row}@example.test`,
      phone: "+5511912345678",
      status: "active",
      consultant_id: id("consultants"),
      monthly_income: "5000.00",
      risk_rating: "A",
    },
    addresses: {
      ...base("addresses"),
      customer_id: id("customers"),
      kind: "residential",
      is_primary: true,
      street: "Avenida Paulista",
      number: "1000",
      district: "Bela Vista",
      city: "Sao Paulo",
      uf: "SP",
      cep: "01310100",
    },
    account_categories: {
      ...base("account_categories"),
      code: `CHECKING_${row}`,
      name: "Conta corrente PF",
      active: true,
    },
    suppliers: {
      ...base("suppliers"),
      category_id: id("account_categories"),
      name: "Fornecedor Sintetico Ltda",
      cnpj: `1122233300018${row % 10}`,
      status: "active",
    },
    bank_accounts: {
      ...base("bank_accounts"),
      customer_id: id("customers"),
      category_id: id("account_categories"),
      branch: "0001",
      number: String(100000 + row),
      check_digit: "7",
      kind: "checking",
      status: "active",
      balance: "100.00",
      overdraft_limit: "500.00",
      opened_on: "2024-01-01",
    },
    loans: {
      ...base("loans"),
      customer_id: id("customers"),
      account_id: id("bank_accounts"),
      product: "personal",
      amortization: "price",
      principal: "10000.00",
      annual_rate: "0.240000",
      monthly_rate: "0.018088",
      term_months: 12,
      iof_amount: "120.00",
      cet_annual: "0.270000",
      contracted_on: "2024-06-01",
      first_due_on: "2024-07-01",
      status: "active",
    },
    installments: {
      ...base("installments"),
      loan_id: id("loans"),
      number: row,
      due_on: "2024-07-01",
      principal_amount: "750.00",
      interest_amount: "180.88",
      total_amount: "930.88",
      outstanding_balance: "9250.00",
      status: "open",
    },
    financial_transactions: {
      ...base("financial_transactions"),
      account_id: id("bank_accounts"),
      kind: "pix_in",
      direction: "credit",
      amount: "50.00",
      occurred_at: AT,
      description: "PIX recebido",
      counterparty_name: "Joao Sintetico",
      counterparty_document: "98765432100",
      end_to_end_id: `E12345678202406011200ABCDEFGH${String(row).padStart(3, "0")}`,
    },
    credit_limits: {
      ...base("credit_limits"),
      customer_id: id("customers"),
      product: row % 2 === 0 ? "credit_card" : "overdraft",
      limit_amount: "500.00",
      used_amount: "0.00",
      status: "active",
      valid_from: "2024-01-01",
      valid_until: "2025-12-31",
    },
    contracts: {
      ...base("contracts"),
      customer_id: id("customers"),
      loan_id: id("loans"),
      kind: "loan",
      number: `CT-${String(row).padStart(6, "0")}`,
      signed_on: "2024-06-01",
      status: "active",
    },
  };
}

/**
 * Inserts the fixture rows of one tenant, in FK order, as the data-plane role bound to a running
 * run of the tenant (so RLS applies). Returns the run's id.
 */
export async function insertFixture(db: TestDatabase, tenantId: string, slot: number): Promise<string> {
  const rows = bankingFixture(tenantId, slot);
  const runId = await runningRun(db, tenantId);
  await withTenant(
    db.seederSql,
    tenantId,
    async (tx) => {
      for (const table of BANKING_TABLES) {
        await tx`insert into ${tx(`banking.${table}`)} ${tx(rows[table] as Record<string, unknown>)}`;
      }
    },
    { runId },
  );
  return runId;
}
