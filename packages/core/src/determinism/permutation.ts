import { createHash } from "node:crypto";
import { fmix } from "./stream.ts";

/**
 * A keyed bijection of [0, size): `forward` and `inverse` undo each other. Factories use it to
 * choose exactly k rows out of n for a state (row i has the state iff forward(i) < k), so the
 * manifest's percentages are reproduced to the row, on deterministically scattered rows.
 */
export interface Permutation {
  readonly size: number;
  forward(index: number): number;
  inverse(value: number): number;
}

const ROUNDS = 8;

/**
 * Builds the permutation from seed material and a domain size (1 ≤ size ≤ 2^52). It is a balanced
 * Feistel network on the smallest even bit width covering `size`, with cycle walking: values
 * falling outside [0, size) are enciphered again until they land inside, which keeps a bijection
 * on the domain (expected fewer than four steps, since the Feistel domain is under 4 × size).
 */
export function createPermutation(seedMaterial: string, size: number): Permutation {
  if (!Number.isSafeInteger(size) || size < 1 || size > 2 ** 52) throw new RangeError("size must be in [1, 2^52]");
  const digest = createHash("sha256").update(`semente/permutation/v1\n${seedMaterial}`, "utf8").digest();
  const keys = new Uint32Array(ROUNDS);
  for (let r = 0; r < ROUNDS; r++) keys[r] = digest.readUInt32BE(r * 4);
  let bits = 2;
  while (2 ** bits < size) bits += 2;
  const half = bits / 2;
  const base = 2 ** half;
  const mask = base - 1;
  const salts = Uint32Array.from({ length: ROUNDS }, (_, r) => Math.imul(r + 1, 0x9e3779b1));
  const round = (r: number, x: number): number => {
    // half ≤ 26, so x and the mask fit one 32-bit word.
    return fmix((keys[r] as number) ^ fmix((x ^ (salts[r] as number)) >>> 0)) & mask;
  };
  // Up to 30 bits (domains below 2^30) the halves and their sum fit 31-bit integers: shifts and
  // masks compute exactly what / base, % base and * base do.
  const encipherSmall = (v: number): number => {
    let l = v >>> half;
    let rr = v & mask;
    for (let r = 0; r < ROUNDS; r++) {
      const next = (l + round(r, rr)) & mask;
      l = rr;
      rr = next;
    }
    return (l << half) | rr;
  };
  const encipherLarge = (v: number): number => {
    let l = Math.floor(v / base);
    let rr = v % base;
    for (let r = 0; r < ROUNDS; r++) {
      const next = (l + round(r, rr)) % base;
      l = rr;
      rr = next;
    }
    return l * base + rr;
  };
  const encipher = bits <= 30 ? encipherSmall : encipherLarge;
  const decipher = (v: number): number => {
    let l = Math.floor(v / base);
    let rr = v % base;
    for (let r = ROUNDS - 1; r >= 0; r--) {
      const prev = (rr - round(r, l) + base) % base;
      rr = l;
      l = prev;
    }
    return l * base + rr;
  };
  const check = (x: number): void => {
    if (!Number.isSafeInteger(x) || x < 0 || x >= size) throw new RangeError(`index must be in [0, ${size})`);
  };
  return {
    size,
    forward(index) {
      check(index);
      let v = encipher(index);
      while (v >= size) v = encipher(v);
      return v;
    },
    inverse(value) {
      check(value);
      let v = decipher(value);
      while (v >= size) v = decipher(v);
      return v;
    },
  };
}
