import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type CostModel, parseCostModel } from "@semente/core/manifest";

/** Where `loadCostModel` reads from when no path is given. */
export const DEFAULT_COST_MODEL_PATH = fileURLToPath(
  new URL("../../../../configs/finops/seed-data.cost-model.yaml", import.meta.url),
);

/** Reads and validates the cost model; throws `MALFORMED_INPUT`/`VALIDATION_FAILED` with line/column. */
export function loadCostModel(path: string = DEFAULT_COST_MODEL_PATH): CostModel {
  return parseCostModel(readFileSync(path, "utf8"), path);
}
