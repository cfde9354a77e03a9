import { type Cipheriv, createCipheriv } from "node:crypto";

/**
 * FF1 format-preserving encryption (NIST SP 800-38G, and Rev. 1's domain minimum), AES as the
 * block cipher. Numerals are handled as plain integers: this implementation limits each Feistel
 * half to radix^v ≤ 2^44, which covers radix 10 up to 15 digits, so NUM/STR never need BigInt.
 */
export interface Ff1 {
  readonly radix: number;
  /** Enciphers a numeral string over `0-9a-z` (radix ≤ 36), keeping its length. */
  encrypt(numerals: string, tweak?: Uint8Array): string;
  /** Inverse of {@link Ff1.encrypt}. */
  decrypt(numerals: string, tweak?: Uint8Array): string;
  /** Enciphers the integer x in [0, radix^length) as a `length`-numeral string, returning an integer. */
  encryptInt(x: number, length: number, tweak?: Uint8Array): number;
  /** Inverse of {@link Ff1.encryptInt}. */
  decryptInt(x: number, length: number, tweak?: Uint8Array): number;
  /**
   * {@link Ff1.encryptInt} of every value, the same round of all of them enciphered by one AES
   * call (ECB: each block on its own), instead of one call per value and round.
   */
  encryptInts(xs: readonly number[], length: number, tweak?: Uint8Array): number[];
}

const EMPTY = new Uint8Array(0);
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** Everything of one (length, tweak) pair that does not depend on the value: computed once. */
interface Plan {
  u: number;
  v: number;
  b: number;
  d: number;
  powU: number;
  powV: number;
  /** CBC-MAC state after P and every constant block of Q (all but the last). */
  state: Buffer;
  /** The last block of Q, constant prefix filled; bytes 15-b (round) and after (NUM) vary. */
  last: Buffer;
}

/** Builds an FF1 instance; the AES key schedule is set up once, here, and reused for every value. */
export function createFf1(key: Uint8Array, radix = 10): Ff1 {
  const algo = { 16: "aes-128-ecb", 24: "aes-192-ecb", 32: "aes-256-ecb" }[key.length];
  if (algo === undefined) throw new RangeError("FF1 key must be 16, 24 or 32 bytes");
  if (!Number.isInteger(radix) || radix < 2 || radix > 36) throw new RangeError("radix must be in [2, 36]");
  const cipher: Cipheriv = createCipheriv(algo, key, null);
  cipher.setAutoPadding(false);
  const block = Buffer.alloc(16);
  const aes = (input: Buffer): Buffer => cipher.update(input);
  const plans = new Map<string, Plan>();
  // Callers reuse their tweak arrays, so plans are found by identity first, by content second.
  const byTweak = new WeakMap<Uint8Array, Plan[]>();

  const plan = (n: number, tweak: Uint8Array): Plan => {
    const quick = byTweak.get(tweak)?.[n];
    if (quick !== undefined) return quick;
    const id = `${n}:${Buffer.from(tweak).toString("hex")}`;
    const cached = plans.get(id);
    if (cached !== undefined) {
      remember(tweak, n, cached);
      return cached;
    }
    const u = Math.floor(n / 2);
    const v = n - u;
    if (radix ** n < 1_000_000) throw new RangeError("FF1 domain radix^n must be at least 1,000,000");
    if (radix ** v > 2 ** 44) throw new RangeError("numeral string too long for this FF1 implementation");
    const b = Math.ceil(Math.ceil(v * Math.log2(radix)) / 8);
    const d = 4 * Math.ceil(b / 4) + 4;
    const t = tweak.length;
    const p = Buffer.from([
      1,
      2,
      1,
      (radix >>> 16) & 0xff,
      (radix >>> 8) & 0xff,
      radix & 0xff,
      10,
      u & 0xff,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
    ]);
    p.writeUInt32BE(n, 8);
    p.writeUInt32BE(t, 12);
    const pad = (((-t - b - 1) % 16) + 16) % 16;
    const q = Buffer.alloc(t + pad + 1 + b);
    q.set(tweak, 0);
    let state = Buffer.from(aes(p));
    for (let off = 0; off + 16 < q.length; off += 16) {
      for (let j = 0; j < 16; j++) block[j] = (state[j] as number) ^ (q[off + j] as number);
      state = Buffer.from(aes(block));
    }
    const last = Buffer.from(q.subarray(q.length - 16));
    const built: Plan = { u, v, b, d, powU: radix ** u, powV: radix ** v, state, last };
    plans.set(id, built);
    remember(tweak, n, built);
    return built;
  };

  const remember = (tweak: Uint8Array, n: number, p: Plan): void => {
    let list = byTweak.get(tweak);
    if (list === undefined) {
      list = [];
      byTweak.set(tweak, list);
    }
    list[n] = p;
  };

  /** NUM(S) mod m for the first d bytes of R = PRF(P ‖ Q), Q ending in [i]^1 ‖ [x]^b. */
  const roundValue = (pl: Plan, round: number, x: number, m: number): number => {
    const { last, state, b } = pl;
    last[15 - b] = round;
    let rest = x;
    for (let j = 15; j > 15 - b; j--) {
      last[j] = rest % 256;
      rest = Math.floor(rest / 256);
    }
    for (let j = 0; j < 16; j++) block[j] = (state[j] as number) ^ (last[j] as number);
    const r = aes(block);
    let y = 0;
    for (let j = 0; j < pl.d; j++) y = (y * 256 + (r[j] as number)) % m;
    return y;
  };

  const checkInt = (x: number, length: number): void => {
    if (!Number.isInteger(length) || length < 2) throw new RangeError("length must be an integer ≥ 2");
    if (!Number.isSafeInteger(x) || x < 0 || x >= radix ** length) throw new RangeError("value outside the FF1 domain");
  };

  const encryptInt = (x: number, length: number, tweak: Uint8Array = EMPTY): number => {
    checkInt(x, length);
    const pl = plan(length, tweak);
    let a = Math.floor(x / pl.powV);
    let bv = x % pl.powV;
    for (let i = 0; i < 10; i++) {
      const m = i % 2 === 0 ? pl.powU : pl.powV;
      const c = (a + roundValue(pl, i, bv, m)) % m;
      a = bv;
      bv = c;
    }
    return a * pl.powV + bv;
  };

  const decryptInt = (x: number, length: number, tweak: Uint8Array = EMPTY): number => {
    checkInt(x, length);
    const pl = plan(length, tweak);
    let a = Math.floor(x / pl.powV);
    let bv = x % pl.powV;
    for (let i = 9; i >= 0; i--) {
      const m = i % 2 === 0 ? pl.powU : pl.powV;
      const c = (((bv - roundValue(pl, i, a, m)) % m) + m) % m;
      bv = a;
      a = c;
    }
    return a * pl.powV + bv;
  };

  /** One AES input block per value: state ⊕ (Q's last block with the round and B's numerals). */
  const fillBlocks = (pl: Plan, blocks: Buffer, round: number, bv: Float64Array): void => {
    const { last, state, b } = pl;
    for (let i = 0; i < bv.length; i++) {
      const off = i * 16;
      for (let j = 0; j < 15 - b; j++) blocks[off + j] = (state[j] as number) ^ (last[j] as number);
      blocks[off + 15 - b] = (state[15 - b] as number) ^ round;
      let rest = bv[i] as number;
      for (let j = 15; j > 15 - b; j--) {
        blocks[off + j] = (state[j] as number) ^ (rest % 256);
        rest = Math.floor(rest / 256);
      }
    }
  };

  /** A ← B, B ← (A + NUM(R) mod m) for every value, R its block of the round's AES output. */
  const feistel = (pl: Plan, m: number, r: Buffer, a: Float64Array, bv: Float64Array): void => {
    for (let i = 0; i < a.length; i++) {
      let y = 0;
      for (let j = 0; j < pl.d; j++) y = (y * 256 + (r[i * 16 + j] as number)) % m;
      const c = ((a[i] as number) + y) % m;
      a[i] = bv[i] as number;
      bv[i] = c;
    }
  };

  const encryptInts = (xs: readonly number[], length: number, tweak: Uint8Array = EMPTY): number[] => {
    for (const x of xs) checkInt(x, length);
    const pl = plan(length, tweak);
    const n = xs.length;
    const a = new Float64Array(n);
    const bv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = Math.floor((xs[i] as number) / pl.powV);
      bv[i] = (xs[i] as number) % pl.powV;
    }
    const blocks = Buffer.alloc(16 * n);
    for (let round = 0; round < 10; round++) {
      fillBlocks(pl, blocks, round, bv);
      feistel(pl, round % 2 === 0 ? pl.powU : pl.powV, n === 0 ? blocks : aes(blocks), a, bv);
    }
    return Array.from(a, (high, i) => high * pl.powV + (bv[i] as number));
  };

  const toInt = (s: string): number => {
    let x = 0;
    for (const ch of s) {
      const digit = ALPHABET.indexOf(ch.toLowerCase());
      if (digit < 0 || digit >= radix) throw new RangeError("numeral outside the radix");
      x = x * radix + digit;
    }
    return x;
  };
  const toStr = (x: number, length: number): string => x.toString(radix).padStart(length, "0");

  return {
    radix,
    encryptInt,
    decryptInt,
    encryptInts,
    encrypt: (s, tweak) => toStr(encryptInt(toInt(s), s.length, tweak), s.length),
    decrypt: (s, tweak) => toStr(decryptInt(toInt(s), s.length, tweak), s.length),
  };
}
