import { describe, expect, test } from "bun:test";
import { createFf1 } from "../../src/pii/index.ts";

// NIST SP 800-38G FF1 samples (csrc.nist.gov, "FF1samples.pdf"), radix 10, PT 0123456789.
const KEY_128 = Buffer.from("2B7E151628AED2A6ABF7158809CF4F3C", "hex");
const KEY_256 = Buffer.from("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", "hex");
const TWEAK = Buffer.from("39383736353433323130", "hex");

describe("FF1", () => {
  test("NIST sample #7 (AES-256, empty tweak) → 6657667009", () => {
    expect(createFf1(KEY_256).encrypt("0123456789")).toBe("6657667009");
  });

  test("NIST sample #8 (AES-256, tweak 39383736353433323130) → 1001623463", () => {
    expect(createFf1(KEY_256).encrypt("0123456789", TWEAK)).toBe("1001623463");
  });

  test("NIST samples #1 and #2 (AES-128) → 2433477484, 6124200773", () => {
    const f = createFf1(KEY_128);
    expect(f.encrypt("0123456789")).toBe("2433477484");
    expect(f.encrypt("0123456789", TWEAK)).toBe("6124200773");
  });

  test("decrypt inverts encrypt, leading zeros kept", () => {
    const f = createFf1(KEY_256);
    expect(f.decrypt("6657667009")).toBe("0123456789");
    expect(f.decrypt("1001623463", TWEAK)).toBe("0123456789");
    for (const x of [0, 1, 42, 999_999, 123_456_789, 999_999_999]) {
      const y = f.encryptInt(x, 9);
      expect(y).toBeLessThan(1e9);
      expect(f.decryptInt(y, 9)).toBe(x);
    }
  });

  test("is a permutation of a small domain (10^6, odd and even lengths)", () => {
    const f = createFf1(KEY_256);
    const seen = new Uint8Array(1_000_000);
    let repeats = 0;
    for (let x = 0; x < 1_000_000; x += 7) {
      const y = f.encryptInt(x, 6, TWEAK);
      repeats += seen[y] as number;
      seen[y] = 1;
    }
    expect(repeats).toBe(0);
    expect(f.encrypt("1234567")).toHaveLength(7);
  });

  test("rejects domains under 10^6, bad keys and out-of-range values", () => {
    const f = createFf1(KEY_256);
    expect(() => f.encrypt("12345")).toThrow(RangeError);
    expect(() => createFf1(new Uint8Array(10))).toThrow(RangeError);
    expect(() => f.encryptInt(1e9, 9)).toThrow(RangeError);
  });

  test("encryptInts equals encryptInt value by value (lengths 6 to 15, radix 10 and 36, with and without tweak)", () => {
    for (const [radix, lengths] of [
      [10, [6, 7, 8, 9, 10, 11, 15]],
      [36, [4, 5, 9]],
    ] as const) {
      const f = createFf1(KEY_256, radix);
      for (const length of lengths) {
        const domain = radix ** length;
        const xs = [0, 1, domain - 1, ...Array.from({ length: 300 }, (_, i) => Math.floor((domain / 301) * i + i))];
        for (const tweak of [undefined, TWEAK]) {
          expect(f.encryptInts(xs, length, tweak)).toEqual(xs.map((x) => f.encryptInt(x, length, tweak)));
        }
      }
    }
    expect(createFf1(KEY_256).encryptInts([], 9)).toEqual([]);
    expect(() => createFf1(KEY_256).encryptInts([5, 1e9], 9)).toThrow(RangeError);
  });
});
