import { describe, expect, test } from "bun:test";
import { createPermutation } from "../../src/determinism/index.ts";

describe("keyed permutation", () => {
  test("is a bijection on [0, size) for awkward sizes, and inverse undoes forward", () => {
    for (const size of [1, 2, 3, 10, 97, 1000, 65_537]) {
      const p = createPermutation("seed", size);
      const seen = new Uint8Array(size);
      let bad = 0;
      for (let i = 0; i < size; i++) {
        const v = p.forward(i);
        if (v < 0 || v >= size || seen[v] === 1 || p.inverse(v) !== i) bad++;
        seen[v] = 1;
      }
      expect(bad).toBe(0);
    }
  });

  test("selects exactly k of n rows, scattered, and depends on the seed", () => {
    const n = 10_000;
    const a = createPermutation("manifest-1/acme/loans/defaulted", n);
    const b = createPermutation("manifest-2/acme/loans/defaulted", n);
    let chosen = 0;
    let firstHalf = 0;
    let same = 0;
    for (let i = 0; i < n; i++) {
      if (a.forward(i) < 500) {
        chosen++;
        if (i < n / 2) firstHalf++;
      }
      if (a.forward(i) === b.forward(i)) same++;
    }
    expect(chosen).toBe(500);
    expect(Math.abs(firstHalf - 250)).toBeLessThan(60);
    expect(same).toBeLessThan(10);
  });

  test("handles large domains and refuses out-of-range input", () => {
    const p = createPermutation("big", 2 ** 52);
    const v = p.forward(2 ** 52 - 1);
    expect(p.inverse(v)).toBe(2 ** 52 - 1);
    expect(() => p.forward(2 ** 52)).toThrow(RangeError);
    expect(() => createPermutation("x", 0)).toThrow(RangeError);
  });
});
