import { createHash } from "node:crypto";

/** A field selector: a small integer, or a name hashed once to a 32-bit integer by {@link fieldId}. */
export type Field = number | string;

/** Values with integer weights, prepared once by {@link weightedTable} for {@link Stream.weighted}. */
export interface WeightedTable<T> {
  readonly values: readonly T[];
  /** Running sums of the weights; the last one is the total. */
  readonly cumulative: Float64Array;
  readonly total: number;
}

/**
 * A counter-based generator: every draw is a pure function of (key, ordinal, field), so row `i`
 * can be generated alone, in any batch split, on any worker, in any order. No state is kept
 * between calls.
 *
 * `ordinal` is a non-negative safe integer (the row number); `field` tells the draws of one row
 * apart. Use distinct fields for distinct columns or draws, e.g. `fieldId("amount")` computed once.
 */
export interface Stream {
  /** The 128-bit key as four 32-bit words (derived from the seed material by SHA-256). */
  readonly key: Uint32Array;
  /** Uniform 32-bit unsigned integer. */
  u32(ordinal: number, field: Field): number;
  /** Uniform float in [0, 1) with 53 bits of resolution. */
  float(ordinal: number, field: Field): number;
  /** Uniform integer in [min, max], both inclusive (range up to 2^53). */
  int(ordinal: number, field: Field, min: number, max: number): number;
  /** One element of a non-empty array, uniformly. */
  pick<T>(ordinal: number, field: Field, values: readonly T[]): T;
  /** One value of a weighted table, with probability weight / total. */
  weighted<T>(ordinal: number, field: Field, table: WeightedTable<T>): T;
  /** `true` with probability `p`. */
  chance(ordinal: number, field: Field, p: number): boolean;
  /** Normal variate (Box–Muller, one draw of two uniforms). */
  normal(ordinal: number, field: Field, mean?: number, stdDev?: number): number;
  /** Log-normal variate: exp(normal(mu, sigma)); amounts with a long right tail. */
  lognormal(ordinal: number, field: Field, mu: number, sigma: number): number;
}

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;

/** murmur3's 32-bit finalizer: a bijection on 32-bit words with full avalanche. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes a field name to a 32-bit integer (FNV-1a over UTF-16 code units, then {@link fmix}). */
export function fieldId(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return fmix(h);
}

/**
 * The mixer: four key words absorbed with the ordinal's low and high words, the field and a lane
 * number through chained murmur3 finalizers with rotations. For fixed (key, ordinal high word,
 * field, lane) the map from the ordinal's low word to the output is a bijection, so adjacent
 * ordinals never collide, and every input bit avalanches through at least three finalizers.
 */
function mix(
  k0: number,
  k1: number,
  k2: number,
  k3: number,
  lo: number,
  hi: number,
  field: number,
  lane: number,
): number {
  let h = fmix(k0 ^ lo);
  h = fmix((h ^ k1 ^ Math.imul(hi, 0x9e3779b1)) >>> 0);
  h = fmix((h + (k2 ^ Math.imul(field, 0x85ebca77) ^ lane)) >>> 0);
  h = (h << 13) | (h >>> 19);
  return fmix((h ^ k3) >>> 0);
}

function checkOrdinal(ordinal: number): void {
  if (!(ordinal >= 0 && ordinal <= Number.MAX_SAFE_INTEGER) || ordinal !== Math.floor(ordinal)) {
    throw new RangeError("ordinal must be a non-negative safe integer");
  }
}

/** Prepares a weighted table; weights are non-negative finite numbers with a positive total. */
export function weightedTable<T>(entries: readonly (readonly [T, number])[]): WeightedTable<T> {
  const cumulative = new Float64Array(entries.length);
  let total = 0;
  entries.forEach(([, w], i) => {
    if (!(w >= 0 && Number.isFinite(w))) throw new RangeError("weights must be finite and non-negative");
    total += w;
    cumulative[i] = total;
  });
  if (!(total > 0)) throw new RangeError("weights must have a positive total");
  return { values: entries.map(([v]) => v), cumulative, total };
}

/** The seed material of one entity's stream, in the one documented order. */
export function streamSeed(parts: { manifestHash: string; tenant: string; entity: string }): string {
  return `semente/stream/v1\n${parts.manifestHash}\n${parts.tenant}\n${parts.entity}`;
}

/** Builds a {@link Stream}; the SHA-256 of `seedMaterial` is computed once, here. */
export function createStream(seedMaterial: string): Stream {
  const digest = createHash("sha256").update(seedMaterial, "utf8").digest();
  const key = new Uint32Array(4);
  for (let i = 0; i < 4; i++) key[i] = digest.readUInt32BE(i * 4);
  const k0 = key[0] as number;
  const k1 = key[1] as number;
  const k2 = key[2] as number;
  const k3 = key[3] as number;

  const u32 = (ordinal: number, field: Field): number => {
    checkOrdinal(ordinal);
    const f = typeof field === "number" ? field : fieldId(field);
    return mix(k0, k1, k2, k3, ordinal >>> 0, (ordinal / TWO_32) >>> 0, f >>> 0, 0);
  };

  const float = (ordinal: number, field: Field): number => {
    checkOrdinal(ordinal);
    const f = (typeof field === "number" ? field : fieldId(field)) >>> 0;
    const lo = ordinal >>> 0;
    const hi = (ordinal / TWO_32) >>> 0;
    const a = mix(k0, k1, k2, k3, lo, hi, f, 0) >>> 5;
    const b = mix(k0, k1, k2, k3, lo, hi, f, 0x6a09e667) >>> 6;
    return (a * 67108864 + b) / TWO_53;
  };

  const int = (ordinal: number, field: Field, min: number, max: number): number => {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new RangeError("int() needs safe integers with min <= max");
    }
    const span = max - min + 1;
    if (span <= TWO_32) return min + Math.floor((u32(ordinal, field) * span) / TWO_32);
    return min + Math.floor(float(ordinal, field) * span);
  };

  const pick = <T>(ordinal: number, field: Field, values: readonly T[]): T => {
    if (values.length === 0) throw new RangeError("pick() needs a non-empty array");
    return values[Math.floor((u32(ordinal, field) * values.length) / TWO_32)] as T;
  };

  const weighted = <T>(ordinal: number, field: Field, table: WeightedTable<T>): T => {
    const target = float(ordinal, field) * table.total;
    const c = table.cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((c[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return table.values[lo] as T;
  };

  const chance = (ordinal: number, field: Field, p: number): boolean => float(ordinal, field) < p;

  const normal = (ordinal: number, field: Field, mean = 0, stdDev = 1): number => {
    checkOrdinal(ordinal);
    const f = (typeof field === "number" ? field : fieldId(field)) >>> 0;
    const lo = ordinal >>> 0;
    const hi = (ordinal / TWO_32) >>> 0;
    // Offsets by one half keep u1 away from 0, where log() would diverge.
    const u1 = (mix(k0, k1, k2, k3, lo, hi, f, 0x3c6ef372) + 0.5) / TWO_32;
    const u2 = mix(k0, k1, k2, k3, lo, hi, f, 0xa54ff53a) / TWO_32;
    return mean + stdDev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };

  const lognormal = (ordinal: number, field: Field, mu: number, sigma: number): number =>
    Math.exp(normal(ordinal, field, mu, sigma));

  return { key, u32, float, int, pick, weighted, chance, normal, lognormal };
}
