import { describe, expect, test } from "bun:test";
import { createStream, fieldId, streamSeed, weightedTable } from "../../src/determinism/index.ts";

const seed = streamSeed({ manifestHash: "sha256:abc", tenant: "acme", entity: "financial_transactions" });
const s = createStream(seed);

/** Pearson chi-square statistic of observed counts against a uniform expectation. */
function chiSquare(counts: number[], total: number): number {
  const expected = total / counts.length;
  return counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
}

describe("counter-based stream", () => {
  test("draws are pure functions of (seed, ordinal, field): same in any order, any instance", () => {
    const again = createStream(seed);
    const forward = Array.from({ length: 100 }, (_, i) => s.u32(i, 3));
    const backward = Array.from({ length: 100 }, (_, i) => again.u32(99 - i, 3)).reverse();
    expect(backward).toEqual(forward);
    expect(s.float(1e12, "amount")).toBe(again.float(1e12, fieldId("amount")));
  });

  test("seed, ordinal and field each change the value", () => {
    const other = createStream(
      streamSeed({ manifestHash: "sha256:abd", tenant: "acme", entity: "financial_transactions" }),
    );
    let same = 0;
    for (let i = 0; i < 1000; i++) {
      if (other.u32(i, 1) === s.u32(i, 1)) same++;
      if (s.u32(i, 1) === s.u32(i, 2)) same++;
      if (s.u32(i, 1) === s.u32(i + 1, 1)) same++;
    }
    expect(same).toBe(0);
  });

  test("u32 is uniform over 64 buckets (chi-square, 63 d.o.f., p ≈ 0.001 bound 103.4)", () => {
    const counts = new Array<number>(64).fill(0);
    const n = 200_000;
    for (let i = 0; i < n; i++) counts[s.u32(i, 7) >>> 26]! += 1;
    expect(chiSquare(counts, n)).toBeLessThan(103.4);
  });

  test("low bits are uniform too (ordinal-adjacent inputs)", () => {
    const counts = new Array<number>(16).fill(0);
    const n = 160_000;
    for (let i = 0; i < n; i++) counts[s.u32(i, 0) & 15]! += 1;
    // 15 d.o.f., p ≈ 0.001 bound 37.7.
    expect(chiSquare(counts, n)).toBeLessThan(37.7);
  });

  test("adjacent ordinals are uncorrelated (|r| < 0.01 on 100,000 pairs)", () => {
    const n = 100_000;
    let sx = 0;
    let sy = 0;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      const x = s.float(i, 11);
      const y = s.float(i + 1, 11);
      sx += x;
      sy += y;
      sxy += x * y;
      sxx += x * x;
      syy += y * y;
    }
    const r = (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
    expect(Math.abs(r)).toBeLessThan(0.01);
  });

  /** How many of ordinal i's int (slot 1, in [-3, 3]), pick (slot 2) and float (slot 4) draws fall out of range. */
  const outOfRangeDraws = (i: number): number => {
    let out = 0;
    const v = s.int(i, 1, -3, 3);
    if (v < -3 || v > 3 || !Number.isInteger(v)) out++;
    if (!["a", "b", "c"].includes(s.pick(i, 2, ["a", "b", "c"]))) out++;
    const f = s.float(i, 4);
    if (f < 0 || f >= 1) out++;
    return out;
  };

  test("int, pick, chance and weighted stay in range with the right frequencies", () => {
    const table = weightedTable([
      ["active", 90],
      ["blocked", 7],
      ["cancelled", 3],
    ] as const);
    const freq: Record<string, number> = { active: 0, blocked: 0, cancelled: 0 };
    let outOfRange = 0;
    let trues = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      outOfRange += outOfRangeDraws(i);
      if (s.chance(i, 5, 0.25)) trues++;
      freq[s.weighted(i, 6, table)]! += 1;
    }
    expect(outOfRange).toBe(0);
    expect(Math.abs(trues / n - 0.25)).toBeLessThan(0.01);
    expect(Math.abs(freq.active! / n - 0.9)).toBeLessThan(0.01);
    expect(Math.abs(freq.blocked! / n - 0.07)).toBeLessThan(0.005);
    expect(Math.abs(freq.cancelled! / n - 0.03)).toBeLessThan(0.005);
    expect(s.int(5, 1, 0, 2 ** 40)).toBeLessThanOrEqual(2 ** 40);
    expect(() => s.int(0, 1, 5, 4)).toThrow(RangeError);
    expect(() => weightedTable([["x", 0]])).toThrow(RangeError);
  });

  test("normal has the requested mean and deviation; lognormal is positive", () => {
    const n = 50_000;
    let sum = 0;
    let sq = 0;
    let negatives = 0;
    for (let i = 0; i < n; i++) {
      const x = s.normal(i, 9, 10, 2);
      sum += x;
      sq += x * x;
      if (s.lognormal(i, 10, 5, 1) <= 0) negatives++;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sq / n - mean * mean);
    expect(Math.abs(mean - 10)).toBeLessThan(0.05);
    expect(Math.abs(sd - 2)).toBeLessThan(0.05);
    expect(negatives).toBe(0);
  });

  test("refuses ordinals that are not non-negative safe integers", () => {
    expect(() => s.u32(-1, 0)).toThrow(RangeError);
    expect(() => s.u32(0.5, 0)).toThrow(RangeError);
    expect(() => s.float(2 ** 53, 0)).toThrow(RangeError);
  });

  test("is fast: 2,000,000 draws in well under a second", () => {
    const start = performance.now();
    let acc = 0;
    for (let i = 0; i < 1_000_000; i++) acc ^= s.u32(i, 1) ^ s.int(i, 2, 0, 1000);
    const ms = performance.now() - start;
    expect(acc).toBeNumber();
    expect(ms).toBeLessThan(1500);
  });
});
