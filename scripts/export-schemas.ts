/**
 * Writes the JSON Schemas generated from their TypeBox sources, or with `--check` verifies that
 * the checked-in files are byte-identical to what would be generated (exit 1 with a diff if not).
 *
 *   bun scripts/export-schemas.ts                 # regenerate every registered schema
 *   bun scripts/export-schemas.ts --check         # CI: fail on drift
 *   bun scripts/export-schemas.ts --root <dir>    # operate on another checkout (tests)
 *
 * To publish a new schema, append one `{ path, schema }` entry to `SCHEMAS`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { entityJsonSchema } from "../packages/core/src/contracts/index.ts";
import { evidenceReportJsonSchema } from "../packages/platform/src/evidence/index.ts";
import { costModelJsonSchema, ENTITIES, manifestJsonSchema } from "../packages/core/src/manifest/index.ts";

/** One published schema: its path relative to the repository root and its generator. */
export interface SchemaEntry {
  path: string;
  schema: () => Record<string, unknown>;
}

/** Every JSON Schema the repository publishes. */
export const SCHEMAS: readonly SchemaEntry[] = [
  { path: "contracts/seed-profile.schema.json", schema: manifestJsonSchema },
  { path: "contracts/finops/seed-data.cost-model.schema.json", schema: costModelJsonSchema },
  { path: "contracts/evidence-report.schema.json", schema: evidenceReportJsonSchema },
  ...ENTITIES.map((entity) => ({
    path: `contracts/entities/${entity}.schema.json`,
    schema: () => entityJsonSchema(entity),
  })),
];

/** The exact bytes a schema file must hold. */
export function renderSchema(entry: SchemaEntry): string {
  return `${JSON.stringify(entry.schema(), null, 2)}\n`;
}

const MAX_DIFF_LINES = 20;

/** A short line diff (expected vs actual) for the drift message; empty when identical. */
export function describeDrift(expected: string, actual: string): string[] {
  const want = expected.split("\n");
  const have = actual.split("\n");
  const out: string[] = [];
  for (let i = 0; i < Math.max(want.length, have.length) && out.length < MAX_DIFF_LINES; i++) {
    if (want[i] === have[i]) continue;
    if (have[i] !== undefined) out.push(`  line ${i + 1}: - ${have[i]}`);
    if (want[i] !== undefined) out.push(`  line ${i + 1}: + ${want[i]}`);
  }
  return out;
}

function main(argv: string[]): number {
  const check = argv.includes("--check");
  const rootFlag = argv.indexOf("--root");
  const root =
    rootFlag >= 0 && argv[rootFlag + 1] !== undefined
      ? resolve(argv[rootFlag + 1] as string)
      : join(import.meta.dir, "..");
  let drifted = 0;
  for (const entry of SCHEMAS) {
    const file = join(root, entry.path);
    const expected = renderSchema(entry);
    if (!check) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, expected);
      console.log(`wrote ${entry.path}`);
      continue;
    }
    if (!existsSync(file)) {
      drifted++;
      console.error(`${entry.path}: missing; run \`bun scripts/export-schemas.ts\``);
      continue;
    }
    const actual = readFileSync(file, "utf8");
    if (actual !== expected) {
      drifted++;
      console.error(`${entry.path}: drifted from its TypeBox source (- checked in, + generated):`);
      for (const line of describeDrift(expected, actual)) console.error(line);
    }
  }
  if (check && drifted > 0) {
    console.error(`${drifted} schema file(s) out of date; run \`bun scripts/export-schemas.ts\` and commit the result`);
    return 1;
  }
  if (check) console.log(`${SCHEMAS.length} schema file(s) up to date`);
  return 0;
}

if (import.meta.main) process.exit(main(process.argv.slice(2)));
