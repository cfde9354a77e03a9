import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { generateBatch } from "../../src/factories/index.ts";
import { ENTITIES } from "../../src/manifest/index.ts";
import { batchDigestColumns, digestBatch, referenceBatchDigest } from "../../src/pipeline/index.ts";
import { contextFor, profile, smallManifest } from "../factories/utils.ts";

describe("batch digest", () => {
  test("batch-digest - the fast digest equals the reference encoder for every entity (baseline and load)", () => {
    for (const manifest of [
      smallManifest(profile("dev", "banco-alfa")),
      smallManifest(profile("perf", "banco-beta")),
    ]) {
      const ctx = contextFor(manifest);
      for (const entity of ENTITIES) {
        const n = ctx.counts[entity];
        for (const [from, to] of [
          [0, n],
          [Math.floor(n / 3), n],
        ] as const) {
          const batch = generateBatch(ctx, entity, from, to);
          expect(digestBatch(batch)).toBe(referenceBatchDigest(batch));
        }
      }
    }
  });

  test("batch-digest - values outside the fast path fall back to the reference encoder", () => {
    const batch = { entity: "users" as const, columns: batchDigestColumns("users") as string[], rows: [[10n, "x"]] };
    expect(digestBatch(batch)).toBe(referenceBatchDigest(batch));
    const float = { ...batch, rows: [[0.5, "x"]] };
    expect(() => digestBatch(float)).toThrow(/binary floats/);
  });

  test("batch-digest - an empty batch has the digest of no rows, and row order matters", () => {
    const ctx = contextFor(smallManifest(profile("dev", "banco-alfa")));
    const empty = generateBatch(ctx, "customers", 0, 0);
    expect(digestBatch(empty)).toBe("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const batch = generateBatch(ctx, "customers", 0, 4);
    const swapped = { ...batch, rows: [batch.rows[1], batch.rows[0], ...batch.rows.slice(2)] as unknown[][] };
    expect(digestBatch(swapped)).not.toBe(digestBatch(batch));
  });

  test("batch-digest - equals the reference encoder for any strings (escapes, UTF-8, surrogates), booleans, integers and nulls", () => {
    const awkward = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.string({
        unit: fc.constantFrom("a", '"', "\\", "\t", "\n", "\r", "\u0000", "\u001f", "é", "€", "😀", "\ud800", "\udc00"),
      }),
    );
    const value = fc.oneof(awkward, fc.boolean(), fc.constant(null), fc.integer(), fc.maxSafeInteger());
    const columns = batchDigestColumns("users");
    const rows = fc.array(fc.array(value, { minLength: columns.length, maxLength: columns.length }), { maxLength: 30 });
    fc.assert(
      fc.property(rows, (rs) => {
        const batch = { entity: "users" as const, columns: columns as string[], rows: rs };
        expect(digestBatch(batch)).toBe(referenceBatchDigest(batch));
      }),
      { numRuns: 400, seed: 1313 },
    );
  });
});
