import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS_DIR } from "../../src/db/index.ts";
import { ENTITIES, ENTITY_PARENTS, type Entity, parseManifest, plannedRows } from "@semente/core/manifest";
import { ENTITY_LEVELS, FK_PARENTS, planBatches } from "@semente/core/pipeline";
import { readProfile } from "../../../core/tests/manifest/utils.ts";

const alfa = parseManifest(readProfile("configs/seed_profiles/dev/banco-alfa.yaml")).manifest;

describe("planBatches", () => {
  test("plan - every foreign key of the banking schema is a planner dependency", () => {
    const sql = readFileSync(join(MIGRATIONS_DIR, "0001_banking_schema.sql"), "utf8");
    let table = "";
    const missing: string[] = [];
    for (const line of sql.split("\n")) {
      const create = /CREATE TABLE banking\.([a-z_]+)/.exec(line);
      if (create) table = create[1] as string;
      for (const m of line.matchAll(/REFERENCES banking\.([a-z_]+)/g)) {
        const parent = m[1] as Entity;
        if (parent !== table && !FK_PARENTS[table as Entity]?.includes(parent)) missing.push(`${table} -> ${parent}`);
      }
    }
    expect(missing.filter((m) => !m.endsWith("-> tenants"))).toEqual([]);
  });

  test("plan - every parent sits on a lower FK level than its children", () => {
    for (const entity of ENTITIES) {
      for (const parent of [...ENTITY_PARENTS[entity], ...FK_PARENTS[entity]]) {
        expect(ENTITY_LEVELS[parent]).toBeLessThan(ENTITY_LEVELS[entity]);
      }
    }
    expect(ENTITY_LEVELS.tenants).toBe(0);
    expect(ENTITY_LEVELS.installments).toBe(ENTITY_LEVELS.loans + 1);
  });

  test("plan - batches cover each entity's planned rows exactly, at most batch_size each", () => {
    const manifest = { ...alfa, batch_size: 64 };
    const plan = planBatches(manifest);
    const expected = plannedRows(manifest).perEntity;
    for (const entity of ENTITIES) {
      const own = plan.batches.filter((b) => b.entity === entity);
      let next = 0;
      for (const [i, b] of own.entries()) {
        expect(b.batchIndex).toBe(i);
        expect(b.from).toBe(next);
        expect(b.to - b.from).toBeGreaterThan(0);
        expect(b.to - b.from).toBeLessThanOrEqual(64);
        next = b.to;
      }
      expect(next).toBe(expected[entity]);
    }
    expect(plan.totalRows).toBe(plannedRows(manifest).total);
  });

  test("plan - plan order is level-major and planIndex is the position", () => {
    const plan = planBatches({ ...alfa, batch_size: 50 });
    expect(plan.batches.map((b) => b.planIndex)).toEqual(plan.batches.map((_, i) => i));
    for (let i = 1; i < plan.batches.length; i++) {
      expect(plan.batches[i]!.level).toBeGreaterThanOrEqual(plan.batches[i - 1]!.level);
    }
    expect(plan.levels).toBe(new Set(plan.batches.map((b) => b.level)).size);
  });

  test("plan - pure: the same manifest gives the same plan, entities with 0 rows get no batch", () => {
    const zero = { ...alfa, volumetry: { ...alfa.volumetry, suppliers: { count: 0, cap: 10 } } };
    expect(planBatches(zero)).toEqual(planBatches(structuredClone(zero)));
    expect(planBatches(zero).batches.some((b) => b.entity === "suppliers")).toBe(false);
  });

  test("plan - a non-positive batch_size is refused", () => {
    expect(() => planBatches({ ...alfa, batch_size: 0 })).toThrow(RangeError);
  });
});
