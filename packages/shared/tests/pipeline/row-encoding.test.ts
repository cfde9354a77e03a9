import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { createBatchDigest } from "../../src/determinism/index.ts";
import { copyText, encodeRows } from "../../src/pipeline/index.ts";

const COLUMNS = ["a", "b", "c", "d"];

/** Strings that reach every branch: ASCII, escapes of JSON and COPY, 2- and 3-byte UTF-8, surrogates. */
const awkward = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({
    unit: fc.constantFrom("a", '"', "\\", "\t", "\n", "\r", "\u0000", "\u001f", "é", "€", "😀", "\ud800", "\udc00"),
  }),
);
const value = fc.oneof(awkward, fc.boolean(), fc.constant(null), fc.integer(), fc.maxSafeInteger());
const rows = fc.array(fc.array(value, { minLength: 4, maxLength: 4 }), { maxLength: 40 });

function reference(rs: unknown[][]): { digest: string; copy: Buffer } {
  const digest = createBatchDigest(COLUMNS);
  for (const r of rs) digest.update(Object.fromEntries(COLUMNS.map((c, i) => [c, r[i]])));
  const copy = Buffer.from(rs.map((r) => `${r.map(copyText).join("\t")}\n`).join(""), "utf8");
  return { digest: digest.digest(), copy };
}

describe("row encoding", () => {
  test("row-encoding - digest and COPY bytes equal the string encoders for any strings, booleans, integers and nulls", () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const encoded = encodeRows(rs, COLUMNS.length, { digest: true, copy: true });
        const expected = reference(rs);
        expect(encoded.fallback).toBe(false);
        expect(encoded.digest).toBe(expected.digest);
        expect(Buffer.concat(encoded.copy).equals(expected.copy)).toBe(true);
      }),
      { numRuns: 400, seed: 1313 },
    );
  });

  test("row-encoding - large batches are split into chunks that each end a row", () => {
    const big = Array.from({ length: 6000 }, (_, i) => [`linha ${i} ${"çã".repeat(20)}`, i, i % 2 === 0, null]);
    const { copy, digest } = encodeRows(big, 4, { digest: true, copy: true });
    expect(copy.length).toBeGreaterThan(1);
    for (const chunk of copy) expect(chunk[chunk.length - 1]).toBe(0x0a);
    expect(Buffer.concat(copy).equals(reference(big).copy)).toBe(true);
    expect(digest).toBe(reference(big).digest);
  });

  test("row-encoding - a value outside the fast path is reported, never encoded on the fast path", () => {
    const encoded = encodeRows([[1n, "x", 0.5, undefined]], 4, { digest: true, copy: true });
    expect(encoded.fallback).toBe(true);
    expect(encoded.digest).toBeUndefined();
    expect(Buffer.concat(encoded.copy).toString("utf8")).toBe("1\tx\t0.5\t\\N\n");
  });

  test("row-encoding - no rows: the digest of nothing and no COPY text", () => {
    const encoded = encodeRows([], 4, { digest: true, copy: true });
    expect(encoded.digest).toBe(`sha256:${createHash("sha256").digest("hex")}`);
    expect(encoded.copy).toEqual([]);
  });
});
