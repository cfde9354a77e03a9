import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENTITIES, parseCostModel } from "@semente/core/manifest";
import { DEFAULT_COST_MODEL_PATH, loadCostModel } from "../../src/config/index.ts";

describe("loadCostModel", () => {
  test("reads the checked-in model by default, exactly as parseCostModel validates its text", () => {
    expect(DEFAULT_COST_MODEL_PATH).toEndWith("configs/finops/seed-data.cost-model.yaml");
    const model = loadCostModel();
    expect(model).toEqual(parseCostModel(readFileSync(DEFAULT_COST_MODEL_PATH, "utf8"), DEFAULT_COST_MODEL_PATH));
    expect(Object.keys(model.entities).sort()).toEqual([...ENTITIES].sort());
  });

  test("names the file it read in the error", () => {
    const dir = mkdtempSync(join(tmpdir(), "semente-cost-"));
    try {
      const path = join(dir, "model.yaml");
      writeFileSync(path, "version: 2\n");
      expect(() => loadCostModel(path)).toThrow(
        expect.objectContaining({ code: "VALIDATION_FAILED", message: expect.stringContaining(path) }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a missing file is an error, not an empty model", () => {
    expect(() => loadCostModel("/nonexistent/semente-cost-model.yaml")).toThrow(/ENOENT|no such file/);
  });
});
