import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assertRowContract, entityJsonSchema, isRowValid, validateBatchContracts } from "../../src/contracts/index.ts";
import { generateBatch, generateRow, rowObject } from "../../src/factories/index.ts";
import { ENTITIES } from "../../src/manifest/index.ts";
import { contextFor, profile, smallManifest } from "../factories/utils.ts";

const ctx = contextFor(smallManifest(profile("dev", "banco-alfa")));
const customer = () => rowObject("customers", generateRow(ctx, "customers", 0));

function violationOf(fn: () => void): { code: string; message: string; errors: { pointer: string }[] } {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string; errors: { pointer: string }[] };
  }
  throw new Error("expected a contract violation");
}

describe("contracts - entity contracts", () => {
  test("a generated row passes; a broken CPF check digit fails with a pointer and no echo", () => {
    const row = customer();
    expect(isRowValid("customers", row)).toBe(true);
    const cpf = String(row.cpf ?? "");
    expect(cpf).toMatch(/^\d{11}$/);
    const broken = `${cpf.slice(0, 10)}${(Number(cpf[10]) + 1) % 10}`;
    const error = violationOf(() => assertRowContract("customers", { ...row, cpf: broken }));
    expect(error.code).toBe("CONTRACT_VIOLATION");
    expect(error.errors[0]?.pointer).toBe("/cpf");
    expect(error.message).not.toContain(broken);
  });

  test("schema violations name the field: money pattern, UF enum, unknown column", () => {
    const loan = rowObject("loans", generateRow(ctx, "loans", 0));
    expect(violationOf(() => assertRowContract("loans", { ...loan, principal: "10.5" })).errors[0]?.pointer).toBe(
      "/principal",
    );
    const address = rowObject("addresses", generateRow(ctx, "addresses", 0));
    expect(violationOf(() => assertRowContract("addresses", { ...address, uf: "XX" })).errors[0]?.pointer).toBe("/uf");
    expect(violationOf(() => assertRowContract("addresses", { ...address, extra: 1 })).code).toBe("CONTRACT_VIOLATION");
    expect(
      violationOf(() => assertRowContract("customers", { ...customer(), phone: "+5500912345678" })).errors[0]?.pointer,
    ).toBe("/phone");
  });

  test("arrays in column order are accepted", () => {
    for (const entity of ENTITIES) expect(() => assertRowContract(entity, generateRow(ctx, entity, 0))).not.toThrow();
  });

  test("contracts/entities/*.schema.json are the published TypeBox schemas", () => {
    for (const entity of ENTITIES) {
      const file = join(import.meta.dir, "../../../../contracts/entities", `${entity}.schema.json`);
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(entityJsonSchema(entity));
    }
  });
});

describe("validateBatchContracts - the seeder's runtime check", () => {
  test("counts every valid row; the first violating row fails the batch naming its ordinal and field, not its value", () => {
    const ctx = contextFor(smallManifest(profile("dev", "banco-alfa")));
    const batch = generateBatch(ctx, "customers", 10, 30);
    expect(validateBatchContracts("customers", batch.rows, 10)).toBe(20);
    const rows = batch.rows.map((r) => [...r]);
    const emailAt = batch.columns.indexOf("email");
    (rows[5] as unknown[])[emailAt] = "not-an-email secret";
    let caught: unknown;
    try {
      validateBatchContracts("customers", rows, 10);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: "CONTRACT_VIOLATION", extensions: { entity: "customers", ordinal: 15 } });
    expect(JSON.stringify(caught) + String((caught as Error).message)).not.toContain("secret");
    expect((caught as Error).message).toContain("/email");
  });
});
