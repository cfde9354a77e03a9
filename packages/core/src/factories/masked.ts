/**
 * PII of a whole batch at once: the masker enciphers every value of a field in one call per
 * Feistel round (`PiiMasker.many`), so row factories of entities carrying PII take their masked
 * values from here instead of masking row by row.
 */

/** The ordinals [from, to). */
export function ordinalsOf(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/**
 * `compute` over the ordinals whose `keep` is true, spread back in ordinal order: null where
 * `keep` is false.
 */
export function maskedWhere(
  ordinals: readonly number[],
  keep: readonly boolean[],
  compute: (kept: number[]) => string[],
): (string | null)[] {
  const values = compute(ordinals.filter((_, i) => keep[i]));
  let next = 0;
  return ordinals.map((_, i) => (keep[i] ? (values[next++] as string) : null));
}
