import { type TSchema, Type } from "@sinclair/typebox";
import type { Entity } from "../manifest/index.ts";

const strict = { additionalProperties: false } as const;

/** `^\d{1,16}\.\d{2}$`: numeric(18,2) money as a string with exactly two places (never a float). */
export const MONEY_PATTERN = "^-?\\d{1,16}\\.\\d{2}$";
/** Non-negative money. */
export const NON_NEGATIVE_MONEY_PATTERN = "^\\d{1,16}\\.\\d{2}$";
export const RATE_PATTERN = "^\\d{1,3}\\.\\d{6}$";
export const DATE_PATTERN = "^\\d{4}-\\d{2}-\\d{2}$";
export const INSTANT_PATTERN = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?Z$";
export const UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";
export const TENANT_PATTERN = "^[a-z0-9][a-z0-9-]{1,62}$";
export const CPF_PATTERN = "^\\d{11}$";
export const CNPJ_PATTERN = "^\\d{14}$";
/** E.164 Brazilian phone: +55, 2-digit DDD, 8 or 9 digits. */
export const PHONE_PATTERN = "^\\+55\\d{10,11}$";
export const EMAIL_PATTERN = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$";
export const CEP_PATTERN = "^\\d{8}$";
export const UFS = [
  "AC",
  "AL",
  "AP",
  "AM",
  "BA",
  "CE",
  "DF",
  "ES",
  "GO",
  "MA",
  "MT",
  "MS",
  "MG",
  "PA",
  "PB",
  "PR",
  "PE",
  "PI",
  "RJ",
  "RN",
  "RS",
  "RO",
  "RR",
  "SC",
  "SP",
  "SE",
  "TO",
] as const;

const uuid = () => Type.String({ pattern: UUID_PATTERN });
const tenantId = () => Type.String({ pattern: TENANT_PATTERN });
const text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const money = () => Type.String({ pattern: MONEY_PATTERN });
const nonNegativeMoney = () => Type.String({ pattern: NON_NEGATIVE_MONEY_PATTERN });
const date = () => Type.String({ pattern: DATE_PATTERN });
const instant = () => Type.String({ pattern: INSTANT_PATTERN });
const email = () => Type.String({ pattern: EMAIL_PATTERN, maxLength: 254 });
const phone = () => Type.String({ pattern: PHONE_PATTERN });
const oneOf = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const nullable = <S extends TSchema>(schema: S) => Type.Union([schema, Type.Null()]);
/**
 * Marks a column as personal data (`"x-pii": true` in the exported schema). Log redaction and the
 * PII log check derive their field list from these marks, so a new PII column needs no second list.
 */
const pii = <S extends TSchema>(schema: S): S => ({ ...schema, "x-pii": true });

function entity(name: string, description: string, properties: Record<string, TSchema>) {
  return Type.Object(properties, {
    ...strict,
    $id: `https://semente.dev/contracts/entities/${name}.schema.json`,
    title: name,
    description,
  });
}

/**
 * The `/api/v1` entity contracts: one JSON Schema per banking table, matching its columns and
 * CHECK constraints (states enumerated as in the DB). Rows are objects keyed by column name.
 */
export const ENTITY_CONTRACTS: Readonly<Record<Entity, TSchema>> = {
  tenants: entity("tenants", "A tenant (the bank itself); id is its slug.", {
    id: tenantId(),
    tenant_id: tenantId(),
    legal_name: text(200),
    trade_name: text(200),
    cnpj: Type.String({ pattern: CNPJ_PATTERN }),
    ispb: Type.String({ pattern: "^\\d{8}$" }),
    status: oneOf(["active", "suspended", "closed"]),
    created_at: instant(),
  }),
  users: entity("users", "A back-office user of the tenant.", {
    id: uuid(),
    tenant_id: tenantId(),
    login: pii(Type.String({ pattern: "^[a-z0-9._-]{3,64}$" })),
    email: pii(email()),
    display_name: pii(text(200)),
    role: oneOf(["admin", "manager", "consultant", "operator", "auditor"]),
    status: oneOf(["active", "locked", "disabled"]),
    mfa_enabled: Type.Boolean(),
    created_at: instant(),
  }),
  consultants: entity("consultants", "An account manager (consultor), optionally linked to a user.", {
    id: uuid(),
    tenant_id: tenantId(),
    user_id: nullable(uuid()),
    name: pii(text(200)),
    email: pii(email()),
    phone: pii(nullable(phone())),
    branch_code: Type.String({ pattern: "^\\d{4}$" }),
    status: oneOf(["active", "inactive"]),
    created_at: instant(),
  }),
  account_categories: entity("account_categories", "A per-tenant account category.", {
    id: uuid(),
    tenant_id: tenantId(),
    code: Type.String({ pattern: "^[A-Z0-9_]{2,32}$" }),
    name: text(100),
    description: nullable(Type.String()),
    active: Type.Boolean(),
    created_at: instant(),
  }),
  suppliers: entity("suppliers", "A supplier (company) of the tenant.", {
    id: uuid(),
    tenant_id: tenantId(),
    category_id: uuid(),
    name: text(200),
    cnpj: pii(Type.String({ pattern: CNPJ_PATTERN })),
    email: pii(nullable(email())),
    phone: pii(nullable(phone())),
    status: oneOf(["active", "inactive", "blocked"]),
    created_at: instant(),
  }),
  customers: entity("customers", "A customer: a person (PF, CPF) or a company (PJ, CNPJ).", {
    id: uuid(),
    tenant_id: tenantId(),
    kind: oneOf(["PF", "PJ"]),
    full_name: pii(text(200)),
    trade_name: pii(nullable(text(200))),
    cpf: pii(nullable(Type.String({ pattern: CPF_PATTERN }))),
    cnpj: pii(nullable(Type.String({ pattern: CNPJ_PATTERN }))),
    birth_date: pii(nullable(date())),
    email: pii(email()),
    phone: pii(phone()),
    status: oneOf(["active", "blocked", "closed"]),
    consultant_id: nullable(uuid()),
    monthly_income: pii(nonNegativeMoney()),
    risk_rating: oneOf(["AA", "A", "B", "C", "D", "E", "F", "G", "H"]),
    created_at: instant(),
  }),
  addresses: entity("addresses", "A customer's address.", {
    id: uuid(),
    tenant_id: tenantId(),
    customer_id: uuid(),
    kind: oneOf(["residential", "commercial"]),
    is_primary: Type.Boolean(),
    street: pii(text(200)),
    number: pii(Type.String({ pattern: "^(\\d{1,6}[A-Z]?|S/N)$" })),
    complement: pii(nullable(text(100))),
    district: text(100),
    city: text(100),
    uf: oneOf(UFS),
    cep: pii(Type.String({ pattern: CEP_PATTERN })),
    created_at: instant(),
  }),
  bank_accounts: entity("bank_accounts", "A deposit or payment account.", {
    id: uuid(),
    tenant_id: tenantId(),
    customer_id: uuid(),
    category_id: uuid(),
    branch: Type.String({ pattern: "^\\d{4}$" }),
    number: pii(Type.String({ pattern: "^\\d{1,12}$" })),
    check_digit: pii(Type.String({ pattern: "^[0-9X]$" })),
    kind: oneOf(["checking", "savings", "payment"]),
    status: oneOf(["active", "blocked", "closed"]),
    balance: money(),
    overdraft_limit: nonNegativeMoney(),
    opened_on: date(),
    closed_on: nullable(date()),
    created_at: instant(),
  }),
  loans: entity("loans", "A loan; figures from the official finance routine.", {
    id: uuid(),
    tenant_id: tenantId(),
    customer_id: uuid(),
    account_id: uuid(),
    product: oneOf(["personal", "payroll", "vehicle", "mortgage", "working_capital"]),
    amortization: oneOf(["price", "sac"]),
    principal: nonNegativeMoney(),
    annual_rate: Type.String({ pattern: RATE_PATTERN }),
    monthly_rate: Type.String({ pattern: "^\\d{1,3}\\.\\d{1,6}$" }),
    term_months: Type.Integer({ minimum: 1, maximum: 420 }),
    iof_amount: nonNegativeMoney(),
    cet_annual: Type.String({ pattern: RATE_PATTERN }),
    contracted_on: date(),
    first_due_on: date(),
    status: oneOf(["active", "paid", "defaulted", "cancelled"]),
    created_at: instant(),
  }),
  installments: entity("installments", "One installment (parcela) of a loan.", {
    id: uuid(),
    tenant_id: tenantId(),
    loan_id: uuid(),
    number: Type.Integer({ minimum: 1, maximum: 420 }),
    due_on: date(),
    principal_amount: nonNegativeMoney(),
    interest_amount: nonNegativeMoney(),
    total_amount: nonNegativeMoney(),
    outstanding_balance: nonNegativeMoney(),
    status: oneOf(["open", "paid", "overdue", "cancelled"]),
    paid_on: nullable(date()),
    created_at: instant(),
  }),
  financial_transactions: entity("financial_transactions", "A movement on an account.", {
    id: uuid(),
    tenant_id: tenantId(),
    account_id: uuid(),
    kind: oneOf([
      "pix_in",
      "pix_out",
      "ted_in",
      "ted_out",
      "boleto",
      "card",
      "fee",
      "loan_disbursement",
      "installment_payment",
    ]),
    direction: oneOf(["credit", "debit"]),
    amount: nonNegativeMoney(),
    occurred_at: instant(),
    description: text(140),
    counterparty_name: pii(nullable(text(200))),
    counterparty_document: pii(nullable(Type.String({ pattern: "^(\\d{11}|\\d{14})$" }))),
    counterparty_ispb: nullable(Type.String({ pattern: "^\\d{8}$" })),
    counterparty_branch: nullable(Type.String({ pattern: "^\\d{4}$" })),
    counterparty_account: pii(nullable(Type.String({ pattern: "^\\d{1,13}$" }))),
    end_to_end_id: nullable(Type.String({ pattern: "^E\\d{8}\\d{12}[A-Za-z0-9]{11}$" })),
    loan_id: nullable(uuid()),
    created_at: instant(),
  }),
  credit_limits: entity("credit_limits", "A pre-approved credit limit per customer and product.", {
    id: uuid(),
    tenant_id: tenantId(),
    customer_id: uuid(),
    product: oneOf(["overdraft", "credit_card", "personal_loan", "payroll_loan"]),
    limit_amount: nonNegativeMoney(),
    used_amount: nonNegativeMoney(),
    status: oneOf(["active", "suspended", "cancelled"]),
    valid_from: date(),
    valid_until: date(),
    created_at: instant(),
  }),
  contracts: entity("contracts", "A signed contract, optionally of a loan.", {
    id: uuid(),
    tenant_id: tenantId(),
    customer_id: uuid(),
    loan_id: nullable(uuid()),
    kind: oneOf(["loan", "account_opening", "credit_card", "overdraft", "service"]),
    number: Type.String({ pattern: "^[A-Z0-9-]{6,40}$" }),
    signed_on: date(),
    status: oneOf(["active", "terminated", "cancelled"]),
    terminated_on: nullable(date()),
    created_at: instant(),
  }),
};

/** The JSON Schema of one entity contract as published in `contracts/entities/<entity>.schema.json`. */
export function entityJsonSchema(entity: Entity): Record<string, unknown> {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    ...JSON.parse(JSON.stringify(ENTITY_CONTRACTS[entity])),
  };
}

/** Column names marked {@link pii} in any entity contract (sorted, unique). */
export const PII_FIELDS: readonly string[] = [
  ...new Set(
    Object.values(ENTITY_CONTRACTS).flatMap((schema) =>
      Object.entries((schema as unknown as { properties: Record<string, TSchema> }).properties)
        .filter(([, property]) => (property as Record<string, unknown>)["x-pii"] === true)
        .map(([name]) => name),
    ),
  ),
].sort();
