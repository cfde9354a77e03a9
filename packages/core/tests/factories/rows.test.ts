import { describe, expect, test } from "bun:test";
import { assertRowContract } from "../../src/contracts/index.ts";
import { generateBatch, rowObject, stateCounts } from "../../src/factories/index.ts";
import { ENTITIES, ENTITY_STATES, type Entity } from "../../src/manifest/index.ts";
import { isValidCnpj, isValidCpf } from "../../src/pii/index.ts";
import { contextFor, profile, smallManifest } from "./utils.ts";

const baseline = smallManifest(profile("dev", "banco-alfa"));
const load = smallManifest(profile("staging", "banco-alfa"), {}, 12);
const HAPPY = new Set(["active", "open", "paid"]);

function objects(manifest: typeof load, entity: Entity): Record<string, unknown>[] {
  const ctx = contextFor(manifest);
  return generateBatch(ctx, entity, 0, ctx.counts[entity]).rows.map((r) => rowObject(entity, r));
}

function tally(rows: Record<string, unknown>[], column = "status"): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[String(r[column])] = (out[String(r[column])] ?? 0) + 1;
  return out;
}

describe("factories - entity contracts", () => {
  for (const [name, manifest] of [
    ["baseline", baseline],
    ["load", load],
  ] as const) {
    test(`every row of every entity passes its contract (${name})`, () => {
      const ctx = contextFor(manifest);
      let checked = 0;
      for (const entity of ENTITIES) {
        const batch = generateBatch(ctx, entity, 0, ctx.counts[entity]);
        expect(batch.rows.length).toBe(ctx.counts[entity]);
        for (const row of batch.rows) {
          assertRowContract(entity, row);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(1000);
    });
  }

  test("baseline writes only happy states", () => {
    for (const entity of ["customers", "bank_accounts", "loans", "credit_limits", "contracts"] as const) {
      expect(Object.keys(tally(objects(baseline, entity)))).toEqual(["active"]);
    }
    const installments = Object.keys(tally(objects(baseline, "installments")));
    expect(installments.every((s) => HAPPY.has(s))).toBe(true);
  });

  test("documents are valid and unique per tenant", () => {
    const customers = objects(load, "customers");
    const cpfs = customers.map((c) => c.cpf).filter((v): v is string => typeof v === "string");
    const cnpjs = customers.map((c) => c.cnpj).filter((v): v is string => typeof v === "string");
    expect(cpfs.every(isValidCpf) && cnpjs.every(isValidCnpj)).toBe(true);
    expect(new Set(cpfs).size).toBe(cpfs.length);
    expect(new Set(cnpjs).size).toBe(cnpjs.length);
    expect(new Set(customers.map((c) => c.email)).size).toBe(customers.length);
    const accounts = objects(load, "bank_accounts");
    expect(new Set(accounts.map((a) => `${a.branch}/${a.number}`)).size).toBe(accounts.length);
    const e2e = objects(load, "financial_transactions")
      .map((t) => t.end_to_end_id)
      .filter((v) => v !== null);
    expect(e2e.length).toBeGreaterThan(50);
    expect(new Set(e2e).size).toBe(e2e.length);
  });
});

describe("factories - load state distributions", () => {
  const distribution = load.state_distribution ?? {};

  test("state counts equal the manifest's percentages exactly", () => {
    for (const entity of [
      "customers",
      "bank_accounts",
      "loans",
      "credit_limits",
      "contracts",
      "installments",
    ] as const) {
      const given = (distribution as Record<string, Record<string, number>>)[entity];
      expect(given).toBeDefined();
      const states = ENTITY_STATES[entity] as readonly string[];
      const rows = objects(load, entity);
      const expected = stateCounts(
        states.map((s) => given?.[s] ?? 0),
        rows.length,
      );
      const counts = tally(rows);
      states.forEach((state, s) => {
        expect({ entity, state, n: counts[state] ?? 0 }).toEqual({ entity, state, n: expected[s] as number });
      });
      expect(expected.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }
  });

  test("rows stay consistent with their states", () => {
    const ref = load.reference_datetime.slice(0, 10);
    const loans = new Map(objects(load, "loans").map((l) => [l.id, l]));
    for (const inst of objects(load, "installments")) {
      const loan = loans.get(inst.loan_id) as Record<string, unknown>;
      expect(inst.status === "paid").toBe(inst.paid_on !== null);
      if (inst.paid_on !== null) expect(String(inst.paid_on) < ref).toBe(true);
      if (loan.status === "paid") expect(inst.status).toBe("paid");
      if (loan.status === "cancelled") expect(["paid", "cancelled"]).toContain(inst.status as string);
      if (loan.status === "defaulted") expect(["paid", "overdue"]).toContain(inst.status as string);
      if (loan.status === "active" && inst.status === "overdue") expect(String(inst.due_on) < ref).toBe(true);
      if (loan.status === "active" && inst.status === "open") expect(String(inst.due_on) >= ref).toBe(true);
    }
    for (const a of objects(load, "bank_accounts")) {
      expect(a.status === "closed").toBe(a.closed_on !== null);
      if (a.status === "closed") expect(a.balance).toBe("0.00");
    }
    for (const c of objects(load, "contracts")) expect(c.status === "active").toBe(c.terminated_on === null);
    for (const c of objects(load, "credit_limits")) if (c.status === "cancelled") expect(c.used_amount).toBe("0.00");
  });

  test("state counts rule: half-even per state, never over the row count", () => {
    expect(stateCounts([2.5, 1.5], 100)).toEqual([2, 2]);
    expect(stateCounts([0.5, 1.5], 100)).toEqual([0, 2]);
    expect(stateCounts([50, 50], 3)).toEqual([2, 1]);
    expect(stateCounts([8, 1], 480)).toEqual([38, 5]);
  });
});
