import type { TSchema } from "@sinclair/typebox";
import { type TypeCheck, TypeCompiler } from "@sinclair/typebox/compiler";
import { SementeError } from "../errors/index.ts";
import { ENTITIES, type Entity } from "../manifest/index.ts";
import { isValidCnpj, isValidCpf, isValidPhoneBr } from "../pii/index.ts";
import { ENTITY_CONTRACTS } from "./entities.ts";

const CHECKERS = Object.fromEntries(ENTITIES.map((e) => [e, TypeCompiler.Compile(ENTITY_CONTRACTS[e])])) as Record<
  Entity,
  TypeCheck<TSchema>
>;

const CPF_FIELDS = new Set(["cpf"]);
const CNPJ_FIELDS = new Set(["cnpj"]);
const PHONE_FIELDS = new Set(["phone"]);

/** Names of an entity contract's fields, in declaration order (the DB column order). */
export function contractFields(entity: Entity): string[] {
  return Object.keys((ENTITY_CONTRACTS[entity] as unknown as { properties: Record<string, unknown> }).properties);
}

function violation(entity: Entity, pointer: string, message: string): SementeError {
  // The value is never echoed: it may be PII.
  return new SementeError("CONTRACT_VIOLATION", `${entity} row violates its contract at ${pointer}: ${message}`, {
    errors: [{ pointer, message }],
    extensions: { entity },
  });
}

function documentIssue(field: string, value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (CPF_FIELDS.has(field) && !isValidCpf(value)) return "invalid CPF check digits";
  if (CNPJ_FIELDS.has(field) && !isValidCnpj(value)) return "invalid CNPJ check digits";
  if (PHONE_FIELDS.has(field) && !isValidPhoneBr(value)) return "invalid Brazilian phone";
  if (field === "counterparty_document") {
    if (value.length === 11 && !isValidCpf(value)) return "invalid CPF check digits";
    if (value.length === 14 && !isValidCnpj(value)) return "invalid CNPJ check digits";
  }
  return undefined;
}

/** Whether a row (object keyed by column) satisfies its entity contract, check digits included. */
export function isRowValid(entity: Entity, row: Readonly<Record<string, unknown>>): boolean {
  if (!CHECKERS[entity].Check(row)) return false;
  for (const field in row) if (documentIssue(field, row[field]) !== undefined) return false;
  return true;
}

/**
 * Asserts that a row satisfies its `/api/v1` entity contract: the compiled TypeBox schema, then
 * CPF/CNPJ check digits and phone DDDs. Accepts an object keyed by column or an array in column
 * order. Throws CONTRACT_VIOLATION with a JSON pointer, never echoing the value.
 */
export function assertRowContract(entity: Entity, row: Readonly<Record<string, unknown>> | readonly unknown[]): void {
  let object: Readonly<Record<string, unknown>>;
  if (Array.isArray(row)) {
    const fields = contractFields(entity);
    if (row.length !== fields.length) throw violation(entity, "", `expected ${fields.length} columns`);
    const o: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) o[fields[i] as string] = row[i];
    object = o;
  } else {
    object = row as Readonly<Record<string, unknown>>;
  }
  const checker = CHECKERS[entity];
  if (!checker.Check(object)) {
    const first = checker.Errors(object).First();
    throw violation(entity, first?.path ?? "", first?.message ?? "does not match the schema");
  }
  for (const field in object) {
    const issue = documentIssue(field, object[field]);
    if (issue !== undefined) throw violation(entity, `/${field}`, issue);
  }
}

/**
 * Validates every row of a generated batch (arrays in column order) against its entity contract
 * with the compiled checker; returns the number of rows validated. The first violating row throws
 * CONTRACT_VIOLATION naming its ordinal and field, never its value.
 */
export function validateBatchContracts(
  entity: Entity,
  rows: readonly (readonly unknown[])[],
  fromOrdinal: number,
): number {
  const fields = contractFields(entity);
  const object: Record<string, unknown> = {};
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as readonly unknown[];
    for (let i = 0; i < fields.length; i++) object[fields[i] as string] = row[i];
    if (row.length !== fields.length || !isRowValid(entity, object)) {
      try {
        assertRowContract(entity, row);
      } catch (error) {
        if (error instanceof SementeError) {
          throw new SementeError("CONTRACT_VIOLATION", `${error.message} (ordinal ${fromOrdinal + r})`, {
            errors: error.errors,
            extensions: { entity, ordinal: fromOrdinal + r },
          });
        }
        throw error;
      }
    }
  }
  return rows.length;
}
