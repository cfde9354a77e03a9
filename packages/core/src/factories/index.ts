export { CATEGORY_CATALOGUE } from "./catalog.ts";
export { accountCheckDigit, branchCode } from "./codes.ts";
export { CREDIT_PRODUCTS, createGenerationContext, MAX_TERM_MONTHS } from "./context.ts";
export { generateBatch, generateRow, rowObject } from "./generate.ts";
export { stateCounts } from "./states.ts";
export { columnNames, ENTITY_TABLES } from "./tables.ts";
export { PgType } from "./types.ts";
export type {
  Batch,
  ColumnDef,
  EntityTable,
  GenerationContext,
  GenerationContextOptions,
  InstallmentPlan,
  StatePlan,
} from "./types.ts";
