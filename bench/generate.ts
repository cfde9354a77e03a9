/**
 * Generation throughput per entity on one core, without the database:
 *
 *   bun bench/generate.ts [rows-per-entity]
 *
 * Prints rows/s per entity and for PII masking; exits 1 when financial_transactions is below
 * 200,000 rows/s (the target).
 */
import { createHash } from "node:crypto";
import { createGenerationContext, generateBatch } from "../packages/core/src/factories/index.ts";
import { ENTITIES, type Manifest, manifestHash, parseManifest } from "../packages/core/src/manifest/index.ts";
import { createPiiMasker } from "../packages/core/src/pii/index.ts";

const TARGET = 200_000;
const rowsPerEntity = Number(process.argv[2] ?? 100_000);
const text = await Bun.file(new URL("../configs/seed_profiles/perf/banco-alfa.yaml", import.meta.url)).text();
const base = parseManifest(text).manifest;
const volumetry = structuredClone(base.volumetry);
for (const entity of Object.keys(volumetry) as (keyof typeof volumetry)[]) {
  volumetry[entity].count = entity === "account_categories" ? 200 : rowsPerEntity;
  volumetry[entity].cap = volumetry[entity].count;
}
volumetry.loans.count = Math.ceil(rowsPerEntity / 12);
volumetry.loans.term_months = 12;
volumetry.credit_limits.count = Math.min(rowsPerEntity, 4 * rowsPerEntity);
const manifest: Manifest = { ...base, volumetry };
const fpeKey = new Uint8Array(createHash("sha256").update("bench").digest());
const ctx = createGenerationContext({
  manifest,
  manifestHash: manifestHash(manifest),
  fpeKey,
  keyVersion: manifest.key_version,
});

const results: { name: string; rows: number; seconds: number }[] = [];
const BATCH = 5_000;
for (const entity of ENTITIES) {
  const n = ctx.counts[entity];
  generateBatch(ctx, entity, 0, Math.min(n, 2_000));
  const start = performance.now();
  for (let from = 0; from < n; from += BATCH) generateBatch(ctx, entity, from, Math.min(n, from + BATCH));
  results.push({ name: entity, rows: n, seconds: (performance.now() - start) / 1000 });
}
const masker = createPiiMasker({ key: fpeKey });
for (const [name, fn] of [
  ["pii.cpf", (i: number) => masker.cpf(i)],
  ["pii.cnpj", (i: number) => masker.cnpj(i)],
  ["pii.phone", (i: number) => masker.phone(i)],
  ["pii.email", (i: number) => masker.email(i, "Maria Silva")],
  ["pii.fullName", (i: number) => masker.fullName(i)],
] as const) {
  const start = performance.now();
  for (let i = 0; i < rowsPerEntity; i++) fn(i);
  results.push({ name, rows: rowsPerEntity, seconds: (performance.now() - start) / 1000 });
}

console.log(`${"entity".padEnd(24)}${"rows".padStart(10)}${"seconds".padStart(10)}${"rows/s".padStart(12)}`);
for (const r of results) {
  const rate = Math.round(r.rows / r.seconds);
  console.log(
    `${r.name.padEnd(24)}${String(r.rows).padStart(10)}${r.seconds.toFixed(3).padStart(10)}${String(rate).padStart(12)}`,
  );
}
const tx = results.find((r) => r.name === "financial_transactions");
const txRate = tx === undefined ? 0 : tx.rows / tx.seconds;
console.log(`financial_transactions: ${Math.round(txRate)} rows/s (target ${TARGET})`);
if (txRate < TARGET) process.exit(1);
