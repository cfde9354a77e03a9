import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import type { BankingTable } from "../../src/db/index.ts";
import { BANKING_TABLES, withTenant } from "../../src/db/index.ts";
import type { TestDatabase } from "../harness.ts";
import { createTestDatabase } from "../harness.ts";
import { bankingFixture, insertFixture } from "./fixtures.ts";

const T = "tenant-c";
let db: TestDatabase;
let runId: string;

beforeAll(async () => {
  db = await createTestDatabase("schema");
  runId = await insertFixture(db, T, 3);
});

afterAll(async () => {
  await db.drop();
});

/**
 * Inserts row 2 of `table` with `changes` applied, after row 2 of each parent table, and returns
 * the SQLSTATE (or "ok").
 */
async function insertVariant(table: BankingTable, changes: Record<string, unknown>): Promise<string> {
  const rows = bankingFixture(T, 3, 2);
  const parents = BANKING_TABLES.slice(1, BANKING_TABLES.indexOf(table));
  try {
    await withTenant(
      db.seederSql,
      T,
      async (tx) => {
        for (const parent of parents) await tx`insert into ${tx(`banking.${parent}`)} ${tx(rows[parent])}`;
        await tx`insert into ${tx(`banking.${table}`)} ${tx({ ...rows[table], ...changes })}`;
        // Roll back so each variant starts from the same fixture.
        throw new Error("rollback");
      },
      { runId },
    );
  } catch (error) {
    if (error instanceof postgres.PostgresError) return error.code;
    if ((error as Error).message === "rollback") return "ok";
    throw error;
  }
  return "unreachable";
}

describe("banking schema constraints", () => {
  test("every table has tenant_id and no column defaults on ids or created_at", async () => {
    const rows = await db.ownerSql<{ table_name: string; column_name: string; column_default: string | null }[]>`
      select table_name, column_name, column_default from information_schema.columns
       where table_schema = 'banking' and column_name in ('tenant_id', 'id', 'created_at')`;
    for (const table of BANKING_TABLES) {
      expect(
        rows
          .filter((r) => r.table_name === table)
          .map((r) => r.column_name)
          .sort(),
      ).toEqual(["created_at", "id", "tenant_id"]);
    }
    expect(rows.every((r) => r.column_default === null)).toBe(true);
  });

  test("a valid second row is accepted in every table, after its parents", async () => {
    for (const table of BANKING_TABLES.slice(1)) expect(await insertVariant(table, {})).toBe("ok");
  });

  test.each([
    ["customers", { kind: "PJ" }, "23514"],
    ["customers", { cpf: "123" }, "23514"],
    ["customers", { phone: "+1415555012" }, "23514"],
    ["customers", { monthly_income: "-1.00" }, "23514"],
    ["customers", { status: "frozen" }, "23514"],
    ["customers", { cpf: "12345678901" }, "23505"],
    ["addresses", { uf: "XX" }, "23514"],
    ["addresses", { cep: "0131010" }, "23514"],
    ["bank_accounts", { balance: "-600.00" }, "23514"],
    ["bank_accounts", { number: "100001" }, "23505"],
    ["installments", { total_amount: "930.89" }, "23514"],
    ["installments", { status: "paid" }, "23514"],
    ["financial_transactions", { direction: "debit" }, "23514"],
    ["financial_transactions", { end_to_end_id: null }, "23514"],
    ["financial_transactions", { amount: "0.00" }, "23514"],
    ["credit_limits", { used_amount: "600.00" }, "23514"],
    ["loans", { first_due_on: "2024-05-01" }, "23514"],
    ["contracts", { loan_id: null }, "23514"],
    ["contracts", { customer_id: "00000009-0003-4000-8000-000000000001" }, "23503"],
  ] as const)("%s with %o is refused with SQLSTATE %s", async (table, changes, code) => {
    expect(await insertVariant(table, changes)).toBe(code);
  });

  test("a child cannot reference a parent of another tenant even with its id", async () => {
    await insertFixture(db, "tenant-d", 4);
    const foreignCustomer = bankingFixture("tenant-d", 4).customers.id;
    expect(await insertVariant("addresses", { customer_id: foreignCustomer })).toBe("23503");
  });
});
