import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { GOLDEN_DATASETS, goldenBatches } from "../../../core/tests/factories/golden.ts";
import { copyChunks, copyText } from "../../src/pipeline/index.ts";

/** Pieces of strings that reach every branch: ASCII, COPY escapes, 2/3/4-byte UTF-8, lone surrogates. */
const UNITS = [
  "a",
  "Z",
  "0",
  " ",
  '"',
  "\\",
  "\t",
  "\n",
  "\r",
  "\u0000",
  "\u007f",
  "é",
  "ç",
  "€",
  "😀",
  "\ud800",
  "\udc00",
];
const OTHERS: unknown[] = [null, undefined, true, false, 0, -1, 2 ** 53 - 1, 0.5, -1e21, Number.NaN, 10n];

/** `count` rows of 1–5 values drawn by a fixed-seed generator (xorshift): strings mostly, every other kind too. */
function randomRows(count: number, seed: number): unknown[][] {
  let x = seed;
  const next = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const text = () => Array.from({ length: next(12) }, () => UNITS[next(UNITS.length)]).join("");
  const value = () => (next(3) === 0 ? OTHERS[next(OTHERS.length)] : text());
  return Array.from({ length: count }, () => Array.from({ length: 1 + next(5) }, value));
}

/** The COPY text as the string encoder writes it, then converted to bytes as the COPY stream did. */
const expected = (rs: readonly (readonly unknown[])[]) =>
  Buffer.from(rs.map((r) => `${r.map(copyText).join("\t")}\n`).join(""), "utf8");

/** COPY bytes of every batch of the golden datasets (16 hex digits of their SHA-256), pinned. */
const PINNED: Record<string, string> = {
  "dev/banco-alfa": "c840d591c326403f",
  "dev/banco-beta": "848622f80af02404",
  "staging/banco-alfa÷100": "872835235d35919f",
  "staging/banco-beta÷100": "8a3e88b9f202879f",
  "perf/banco-alfa÷1000": "f162fd2b7382b91d",
  "staging/banco-alfa small, 60 months": "e03a7b2e6850ab13",
  "staging/banco-beta small, 420 months": "7d539118563c8a32",
};

describe("COPY text", () => {
  test("copy-text - the bytes equal the string encoder's for any strings, booleans, numbers and nulls", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rs = randomRows(40, seed * 2654435761);
      expect(Buffer.concat(copyChunks(rs)).equals(expected(rs))).toBe(true);
    }
  });

  test("copy-text - large batches are split into chunks that each end a row; no rows, no chunk", () => {
    const big = Array.from({ length: 6000 }, (_, i) => [`linha ${i} ${"çã".repeat(20)}`, i, i % 2 === 0, null]);
    const chunks = copyChunks(big);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk[chunk.length - 1]).toBe(0x0a);
    expect(Buffer.concat(chunks).equals(expected(big))).toBe(true);
    expect(copyChunks([])).toEqual([]);
  });

  for (const [name, manifest] of Object.entries(GOLDEN_DATASETS)) {
    test(`copy-text - the COPY bytes of ${name} are unchanged`, () => {
      const hash = createHash("sha256");
      for (const batch of goldenBatches(manifest())) for (const chunk of copyChunks(batch.rows)) hash.update(chunk);
      expect(hash.digest("hex").slice(0, 16)).toBe(PINNED[name] as string);
    }, 120_000);
  }
});
