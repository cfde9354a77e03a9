import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ENTITY_CONTRACTS, PII_FIELDS } from "@semente/core/contracts";
import { createLogger, REDACTED_KEYS, redactForLog, scrubDatabaseText } from "../../src/telemetry/index.ts";

const ROOT = join(import.meta.dir, "../../../..");

describe("log redaction", () => {
  test("redaction - the PII list is the contracts' x-pii marks (exported schemas agree)", () => {
    const fromSchemas = new Set<string>();
    for (const entity of Object.keys(ENTITY_CONTRACTS)) {
      const schema = JSON.parse(readFileSync(join(ROOT, `contracts/entities/${entity}.schema.json`), "utf8")) as {
        properties: Record<string, { "x-pii"?: boolean }>;
      };
      for (const [name, property] of Object.entries(schema.properties)) if (property["x-pii"]) fromSchemas.add(name);
    }
    expect([...fromSchemas].sort()).toEqual([...PII_FIELDS]);
    for (const field of [
      "cpf",
      "cnpj",
      "email",
      "phone",
      "full_name",
      "birth_date",
      "street",
      "counterparty_document",
    ]) {
      expect(PII_FIELDS).toContain(field);
    }
    for (const field of PII_FIELDS) expect(REDACTED_KEYS.has(field)).toBe(true);
  });

  test("redaction - a deliberately logged manifest with PII-like fields is redacted at any depth", () => {
    const lines: string[] = [];
    const log = createLogger({ service: "t", destination: { write: (l) => void lines.push(l) } });
    const pii = {
      cpf: "52998224725",
      email: "maria.souza@example.com.br",
      full_name: "Maria Aparecida de Souza",
      phone: "+5511987654321",
      street: "Rua das Palmeiras",
      counterparty_document: "11222333000181",
    };
    const manifest = {
      metadata: { tenant: "banco-alfa" },
      entities: { customers: { sample: [{ ...pii, nested: { deeper: { deepest: [{ Email: pii.email }] } } }] } },
      headers: { Authorization: "Bearer secret-token-value" },
    };
    log.info({ manifest, rows: [pii] }, "manifest received");
    const line = lines[0] as string;
    for (const value of [...Object.values(pii), "secret-token-value"]) expect(line).not.toContain(value);
    const parsed = JSON.parse(line);
    expect(parsed.manifest.metadata.tenant).toBe("banco-alfa");
    expect(parsed.manifest.entities.customers.sample[0].cpf).toBe("[redacted]");
    expect(parsed.manifest.entities.customers.sample[0].nested.deeper.deepest[0].Email).toBe("[redacted]");
  });

  test("redaction - PostgreSQL error details and messages lose their values, keep their shape", () => {
    const lines: string[] = [];
    const log = createLogger({ service: "t", destination: { write: (l) => void lines.push(l) } });
    const unique = Object.assign(new Error('duplicate key value violates unique constraint "customers_cpf_key"'), {
      code: "23505",
      detail: "Key (tenant_id, cpf)=(banco-alfa, 52998224725) already exists.",
    });
    const check = Object.assign(new Error("new row violates check constraint"), {
      detail: "Failing row contains (1, maria@example.com, (11) 98765-4321).",
    });
    const wrapped = new Error("batch failed", { cause: unique });
    log.error(
      { err: unique, other: check, wrapped },
      'insert failed: invalid input syntax for type uuid: "52998224725"',
    );
    const line = lines[0] as string;
    for (const value of ["52998224725", "maria@example.com", "98765-4321"]) expect(line).not.toContain(value);
    expect(line).toContain("Key (tenant_id, cpf)=([redacted]) already exists.");
    expect(line).toContain("Failing row contains ([redacted])");
    expect(JSON.parse(line).err.type).toBe("Error");
    expect(scrubDatabaseText('Key (cpf)=(123) is not present in table "customers".')).toBe(
      'Key (cpf)=([redacted]) is not present in table "customers".',
    );
  });

  test("redaction - an e-mail address is removed from any string, whatever its key", () => {
    const lines: string[] = [];
    const log = createLogger({ service: "t", destination: { write: (l) => void lines.push(l) } });
    log.info({ principal: "maria.souza@example.com.br", route: "/api/v1/seed-runs" }, "hello ana@b.co");
    expect(lines[0]).not.toContain("maria.souza@example.com.br");
    expect(lines[0]).not.toContain("ana@b.co");
    expect(JSON.parse(lines[0] as string)).toMatchObject({ principal: "[redacted]", route: "/api/v1/seed-runs" });
  });

  test("redaction - circular and very deep objects do not break a log line", () => {
    const a: Record<string, unknown> = { name: "x" };
    a.self = a;
    let deep: Record<string, unknown> = { cpf: "52998224725" };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    const out = JSON.stringify(redactForLog({ a, deep }));
    expect(out).toContain("[circular]");
    expect(out).not.toContain("52998224725");
  });
});
