import { Type } from "@sinclair/typebox";
import { LineCounter, parseDocument } from "yaml";
import { SementeError } from "../errors/index.ts";
import { plannedRows } from "./plan.ts";
import { locatePointer } from "./source-map.ts";
import { parseTtlSeconds } from "./time.ts";
import { type CostEstimate, type CostModel, ENTITIES, type Entity, type Manifest } from "./types.ts";
import { schemaIssues, sourcePointer } from "./validate.ts";

const strict = { additionalProperties: false } as const;
const money = (description: string) => Type.Number({ minimum: 0, maximum: 1_000_000, description });

/** TypeBox schema of the cost model, published at `contracts/finops/seed-data.cost-model.schema.json`. */
export const CostModelSchema = Type.Object(
  {
    version: Type.Literal(1, { description: "Cost model format version." }),
    currency: Type.String({ pattern: "^[A-Z]{3}$", description: "ISO 4217 code of every unit cost." }),
    entities: Type.Object(
      Object.fromEntries(
        ENTITIES.map((e) => [
          e,
          Type.Object(
            {
              per_1k_rows: money(`Cost per 1,000 ${e} rows written.`),
              avg_row_bytes: Type.Integer({
                minimum: 1,
                maximum: 1_000_000,
                description: "Average stored bytes per row.",
              }),
            },
            strict,
          ),
        ]),
      ),
      { ...strict, description: "Unit costs per entity; every entity is required." },
    ),
    storage: Type.Object({ per_gb_month: money("Cost per GB-month stored.") }, strict),
    evidence: Type.Object({ per_report: money("Cost per signed WORM evidence report.") }, strict),
    compute: Type.Object({ per_minute: money("Cost per minute of run duration.") }, strict),
  },
  {
    ...strict,
    $id: "https://semente.dev/schemas/finops/seed-data.cost-model/v1.json",
    title: "Semente FinOps cost model v1",
  },
);

/** The JSON Schema document published at `contracts/finops/seed-data.cost-model.schema.json`. */
export function costModelJsonSchema(): Record<string, unknown> {
  return { $schema: "https://json-schema.org/draft/2020-12/schema", ...CostModelSchema };
}

/**
 * Validates the text of a cost model read from `path` (named in messages); throws
 * `MALFORMED_INPUT`/`VALIDATION_FAILED` with line/column. Reading the file is the platform's job.
 */
export function parseCostModel(text: string, path: string): CostModel {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const [syntax] = doc.errors;
  if (syntax !== undefined) {
    throw new SementeError("MALFORMED_INPUT", `${path}: ${syntax.message.split("\n")[0]}`, {
      errors: [{ pointer: "", message: syntax.code, line: syntax.linePos?.[0].line, column: syntax.linePos?.[0].col }],
    });
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const issues = schemaIssues(CostModelSchema, value);
  if (issues.length > 0) {
    const errors = issues.map((i) => ({ ...i, ...locatePointer(doc, lineCounter, sourcePointer(i)) }));
    throw new SementeError("VALIDATION_FAILED", `${path}: invalid cost model (${errors.length} issue(s))`, { errors });
  }
  return value as CostModel;
}

const round = (n: number): number => Math.round(n * 1e6) / 1e6;
const SECONDS_PER_MONTH = 30 * 24 * 3600;

/**
 * Estimates the cost of running `manifest`: rows written and storage (held for the mode's TTL)
 * per entity, one evidence report, and compute for the rate-limited run duration. Throws
 * `VALIDATION_FAILED` when the budget's currency differs from the model's (no conversion).
 */
export function estimateCost(manifest: Manifest, model: CostModel): CostEstimate {
  if (manifest.budget.currency !== model.currency) {
    throw new SementeError(
      "VALIDATION_FAILED",
      `budget currency ${manifest.budget.currency} differs from the cost model currency ${model.currency}`,
      { errors: [{ pointer: "/budget/currency", message: `must be ${model.currency}, the cost model currency` }] },
    );
  }
  const { perEntity: rows, total: totalRows } = plannedRows(manifest);
  const months = (parseTtlSeconds(manifest.ttl[manifest.mode]) ?? 0) / SECONDS_PER_MONTH;
  const perEntity = {} as Record<Entity, number>;
  let rowsCost = 0;
  let storageCost = 0;
  for (const entity of ENTITIES) {
    const unit = model.entities[entity];
    const written = (rows[entity] / 1000) * unit.per_1k_rows;
    const stored = ((rows[entity] * unit.avg_row_bytes) / 1e9) * months * model.storage.per_gb_month;
    rowsCost += written;
    storageCost += stored;
    perEntity[entity] = round(written + stored);
  }
  const evidence = model.evidence.per_report;
  const minutes = totalRows / manifest.rate_limit.target_rows_per_second / 60;
  const compute = minutes * model.compute.per_minute;
  const total = round(rowsCost + storageCost + evidence + compute);
  const ratio = round(total / manifest.budget.max_cost);
  return {
    total,
    currency: model.currency,
    perEntity,
    breakdown: {
      rows: round(rowsCost),
      storage: round(storageCost),
      evidence: round(evidence),
      compute: round(compute),
    },
    ratio,
    alert: ratio >= 0.8,
    overBudget: ratio > 1,
  };
}
