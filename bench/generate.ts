/**
 * The seeder's CPU per row outside the database, per entity and per stage, on the manifest the
 * throughput benches write (the perf profile ÷ scale), one core, no I/O:
 *
 *   bun bench/generate.ts [--scale 16] [--batch-size 10000] [--entity loans]
 *
 * Stages, as the writer runs them for every batch: `generate` (generateBatch), `contracts`
 * (validateBatchContracts), `digest` (digestBatch) and `copy` (the COPY text). Figures are CPU
 * microseconds (process.cpuUsage: user + system, every thread) per row, so they do not depend on
 * what else runs on the machine. The last line weighs every entity by its planned rows. Exits 1
 * when financial_transactions generate below 200,000 rows/s of CPU (the target).
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { validateBatchContracts } from "../packages/core/src/contracts/index.ts";
import { type Batch, createGenerationContext, generateBatch } from "../packages/core/src/factories/index.ts";
import { ENTITIES, type Entity, manifestHash } from "../packages/core/src/manifest/index.ts";
import { digestBatch } from "../packages/core/src/pipeline/batch-digest.ts";
import { copyChunks } from "../packages/platform/src/pipeline/copy-text.ts";
import { benchManifest } from "./throughput-manifest.ts";

const TARGET = 200_000;
const { values: args } = parseArgs({
  options: {
    scale: { type: "string", default: "16" },
    "batch-size": { type: "string", default: "10000" },
    entity: { type: "string" },
  },
});
const manifest = benchManifest({ scale: Number(args.scale), batchSize: Number(args["batch-size"]) });
const ctx = createGenerationContext({
  manifest,
  manifestHash: manifestHash(manifest),
  fpeKey: new Uint8Array(createHash("sha256").update("bench").digest()),
  keyVersion: manifest.key_version,
});

const STAGES = ["generate", "contracts", "digest", "copy"] as const;
type Stage = (typeof STAGES)[number];

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function timed<T>(spent: Record<Stage, number>, stage: Stage, run: () => T): T {
  const start = cpuMicros();
  const out = run();
  spent[stage] += cpuMicros() - start;
  return out;
}

function copyLength(batch: Batch): number {
  let length = 0;
  for (const chunk of copyChunks(batch.rows)) length += chunk.length;
  return length;
}

function measure(entity: Entity): Record<Stage, number> {
  const spent: Record<Stage, number> = { generate: 0, contracts: 0, digest: 0, copy: 0 };
  const n = ctx.counts[entity];
  const size = manifest.batch_size;
  for (let from = 0; from < n; from += size) {
    const batch = timed(spent, "generate", () => generateBatch(ctx, entity, from, Math.min(n, from + size)));
    timed(spent, "contracts", () => validateBatchContracts(entity, batch.rows, from));
    timed(spent, "digest", () => digestBatch(batch));
    timed(spent, "copy", () => copyLength(batch));
  }
  return spent;
}

const entities = args.entity === undefined ? ENTITIES : [args.entity as Entity];
// Warm-up: JIT every factory and stage on a small batch first.
for (const entity of entities) {
  const batch = generateBatch(ctx, entity, 0, Math.min(ctx.counts[entity], 1_000));
  validateBatchContracts(entity, batch.rows, 0);
  digestBatch(batch);
  copyLength(batch);
}

const pad = (s: string, w: number) => s.padStart(w);
console.log(
  `perf profile ÷ ${args.scale}, batches of ${manifest.batch_size}; CPU µs per row\n` +
    `${"entity".padEnd(24)}${pad("rows", 10)}${STAGES.map((s) => pad(s, 11)).join("")}${pad("total", 9)}`,
);
const sums: Record<Stage, number> = { generate: 0, contracts: 0, digest: 0, copy: 0 };
let rows = 0;
let txRate = Number.POSITIVE_INFINITY;
for (const entity of entities) {
  const n = ctx.counts[entity];
  const spent = measure(entity);
  for (const s of STAGES) sums[s] += spent[s];
  rows += n;
  const total = STAGES.reduce((a, s) => a + spent[s], 0);
  if (entity === "financial_transactions") txRate = (n / spent.generate) * 1e6;
  console.log(
    `${entity.padEnd(24)}${pad(String(n), 10)}${STAGES.map((s) => pad((spent[s] / n).toFixed(2), 11)).join("")}${pad((total / n).toFixed(2), 9)}`,
  );
}
const all = STAGES.reduce((a, s) => a + sums[s], 0);
console.log(
  `${"all (weighted by rows)".padEnd(24)}${pad(String(rows), 10)}${STAGES.map((s) => pad((sums[s] / rows).toFixed(2), 11)).join("")}${pad((all / rows).toFixed(2), 9)}`,
);
if (entities.includes("financial_transactions")) {
  console.log(`financial_transactions: ${Math.round(txRate)} rows/s of CPU (target ${TARGET})`);
  if (txRate < TARGET) process.exit(1);
}
