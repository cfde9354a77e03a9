import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import fc from "fast-check";
import { createBatchDigest, datasetDigest } from "../../src/determinism/index.ts";
import {
  ENTITY_TABLES,
  type GenerationContext,
  generateBatch,
  generateRow,
  rowObject,
} from "../../src/factories/index.ts";
import { ENTITIES, type Entity, type Manifest } from "../../src/manifest/index.ts";
import { contextFor, profile, smallManifest, testKey } from "./utils.ts";

const baseline = smallManifest(profile("dev", "banco-alfa"), { batch_size: 37 });
const load = smallManifest(profile("staging", "banco-alfa"), { batch_size: 53 });

function digestsOf(ctx: GenerationContext, batchSize: number, reverse = false): { batches: string[]; dataset: string } {
  const plan: [Entity, number, number][] = [];
  for (const entity of ENTITIES) {
    for (let from = 0; from < ctx.counts[entity]; from += batchSize) {
      plan.push([entity, from, Math.min(ctx.counts[entity], from + batchSize)]);
    }
  }
  const order = reverse ? [...plan.keys()].reverse() : [...plan.keys()];
  const batches: string[] = new Array(plan.length);
  for (const index of order) {
    const [entity, from, to] = plan[index] as [Entity, number, number];
    const digest = createBatchDigest(ENTITY_TABLES[entity].columns.map((c) => c.name));
    for (const row of generateBatch(ctx, entity, from, to).rows) digest.update(rowObject(entity, row));
    batches[index] = digest.digest();
  }
  return { batches, dataset: datasetDigest(batches) };
}

function allRows(ctx: GenerationContext): Map<Entity, unknown[][]> {
  return new Map(ENTITIES.map((e) => [e, generateBatch(ctx, e, 0, ctx.counts[e]).rows]));
}

describe("factories - determinism", () => {
  const ctx = contextFor(load);

  test("row i generated alone equals row i inside any batch split", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ENTITIES),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        (entity, cuts) => {
          const n = ctx.counts[entity];
          const bounds = [...new Set([0, n, ...cuts.map((c) => Math.floor(c * n))])].sort((a, b) => a - b);
          const rows: unknown[][] = [];
          for (let b = 0; b + 1 < bounds.length; b++) {
            rows.push(...generateBatch(ctx, entity, bounds[b] as number, bounds[b + 1] as number).rows);
          }
          expect(rows.length).toBe(n);
          for (const i of [0, Math.floor(n / 2), n - 1]) expect(rows[i]).toEqual(generateRow(ctx, entity, i));
        },
      ),
      { numRuns: 60, seed: 20250101 },
    );
  });

  test("two processes produce identical batch and dataset digests", () => {
    const script = join(import.meta.dir, "digest-script.ts");
    const run = () => {
      const proc = Bun.spawnSync(["bun", script, JSON.stringify(load)], { stdout: "pipe", stderr: "pipe" });
      expect(proc.exitCode).toBe(0);
      return JSON.parse(proc.stdout.toString()) as { batches: string[]; dataset: string };
    };
    const [first, second] = [run(), run()];
    expect(first.batches.length).toBeGreaterThan(ENTITIES.length);
    expect(second).toEqual(first);
    expect(digestsOf(ctx, load.batch_size)).toEqual(first);
  });

  test("generation order (forward or reverse batches) does not change digests", () => {
    expect(digestsOf(ctx, 53, true)).toEqual(digestsOf(ctx, 53));
  });

  test("no output depends on time: generate, wait, generate", async () => {
    const before = digestsOf(contextFor(baseline), 37).dataset;
    await Bun.sleep(1100);
    expect(digestsOf(contextFor(baseline), 37).dataset).toBe(before);
  });

  test("changing tenant, key version or reference_datetime changes values", () => {
    const base = allRows(contextFor(baseline));
    const variants: Manifest[] = [
      { ...baseline, metadata: { ...baseline.metadata, tenant: "banco-beta" } },
      { ...baseline, reference_datetime: "2025-03-01T00:00:00Z" },
      { ...baseline, key_version: 2 },
    ];
    for (const variant of variants) {
      const other = allRows(contextFor(variant));
      for (const entity of ["customers", "loans", "financial_transactions"] as const) {
        expect(other.get(entity)).not.toEqual(base.get(entity));
      }
    }
    // Same manifest, another FPE key (a rotated key of the same version): PII changes, IDs do not.
    const rotated = generateBatch(contextFor(baseline, testKey("other", 1)), "customers", 0, 20).rows;
    const original = base.get("customers")?.slice(0, 20) ?? [];
    expect(rotated.map((r) => r[0])).toEqual(original.map((r) => r[0]));
    const cpfs = (rows: unknown[][]) => rows.map((r) => r[5] ?? r[6]);
    expect(cpfs(rotated)).not.toEqual(cpfs(original));
  });

  test("a reference_datetime change moves every date", () => {
    const later = contextFor({ ...baseline, reference_datetime: "2026-01-01T00:00:00Z" });
    const row = rowObject("loans", generateRow(later, "loans", 0));
    expect(String(row.contracted_on) >= "2024-01-01").toBe(true);
    expect(String(row.contracted_on) < "2026-01-01").toBe(true);
  });
});
