import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { parse } from "yaml";
import { isSementeError } from "../../src/errors/index.ts";
import {
  CostModelSchema,
  costModelJsonSchema,
  ENTITIES,
  estimateCost,
  parseCostModel,
  parseManifest,
} from "../../src/manifest/index.ts";
import { COST_MODEL_PATH, readCostModel, readProfile, REPO_ROOT } from "./utils.ts";

const model = readCostModel();
const dev = parseManifest(readProfile("configs/seed_profiles/dev/banco-alfa.yaml")).manifest;

describe("cost model file", () => {
  test("the checked-in YAML validates against the published schema", () => {
    const raw: unknown = parse(readFileSync(COST_MODEL_PATH, "utf8"));
    expect(Value.Check(CostModelSchema, raw)).toBe(true);
    const published = JSON.parse(
      readFileSync(join(REPO_ROOT, "contracts/finops/seed-data.cost-model.schema.json"), "utf8"),
    );
    expect(published).toEqual(JSON.parse(JSON.stringify(costModelJsonSchema())));
    expect(model.version).toBe(1);
    expect(Object.keys(model.entities).sort()).toEqual([...ENTITIES].sort());
  });

  test("an invalid model is refused with pointer and line", () => {
    const text = readFileSync(COST_MODEL_PATH, "utf8").replace("version: 1", "version: 1\nsurprise: 1");
    try {
      parseCostModel(text, "model.yaml");
      throw new Error("expected parseCostModel to throw");
    } catch (error) {
      expect(isSementeError(error) && error.code).toBe("VALIDATION_FAILED");
      expect(isSementeError(error) && error.message).toStartWith("model.yaml: invalid cost model");
      const issue = isSementeError(error) ? error.errors?.[0] : undefined;
      expect(issue?.pointer).toBe("");
      expect(issue?.message).toBe("unknown field");
      expect(issue?.line).toBe(text.split("\n").indexOf("surprise: 1") + 1);
    }
  });

  test("malformed YAML is MALFORMED_INPUT", () => {
    expect(() => parseCostModel("version: [1\n", "model.yaml")).toThrow(
      expect.objectContaining({ code: "MALFORMED_INPUT" }),
    );
  });
});

describe("estimateCost", () => {
  test("adds rows, storage for the mode's TTL, one evidence report and compute", () => {
    const e = estimateCost(dev, model);
    const rows = 3406;
    expect(e.perEntity.customers).toBeCloseTo(
      (200 / 1000) * model.entities.customers.per_1k_rows +
        ((200 * model.entities.customers.avg_row_bytes) / 1e9) * 1 * model.storage.per_gb_month,
      6,
    );
    expect(e.breakdown.evidence).toBe(model.evidence.per_report);
    expect(e.breakdown.compute).toBeCloseTo(
      (rows / dev.rate_limit.target_rows_per_second / 60) * model.compute.per_minute,
      6,
    );
    expect(e.total).toBeCloseTo(e.breakdown.rows + e.breakdown.storage + e.breakdown.evidence + e.breakdown.compute, 5);
    expect(e.ratio).toBeCloseTo(e.total / dev.budget.max_cost, 5);
    expect(e.currency).toBe("USD");
  });

  test("alerts at 80 % and refuses over 100 %", () => {
    const total = estimateCost(dev, model).total;
    const at = (maxCost: number) => estimateCost({ ...dev, budget: { ...dev.budget, max_cost: maxCost } }, model);
    expect(at(total / 0.79)).toMatchObject({ alert: false, overBudget: false });
    expect(at(total / 0.85)).toMatchObject({ alert: true, overBudget: false });
    expect(at(total)).toMatchObject({ alert: true, overBudget: false });
    expect(at(total / 1.5)).toMatchObject({ alert: true, overBudget: true });
  });

  test("scales with volume and is deterministic", () => {
    const bigger = structuredClone(dev);
    bigger.volumetry.financial_transactions.count *= 2;
    expect(estimateCost(bigger, model).total).toBeGreaterThan(estimateCost(dev, model).total);
    expect(estimateCost(dev, model)).toEqual(estimateCost(dev, model));
  });

  test("refuses a budget in another currency", () => {
    expect(() => estimateCost({ ...dev, budget: { max_cost: 1, currency: "BRL" } }, model)).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });
});
