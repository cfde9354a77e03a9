import { type Ratio, roundHalfEven } from "./decimal.ts";

// 128 bits: 1 − v ≥ 10^−30 (rates have at most 30 places) stays far above 600 ulps of error.
const BITS = 128n;
const ONE = 1n << BITS;

/**
 * The Tabela Price balances after installments 1..n, each the exact balance of the exact payment
 * stream rounded half-even to the cent: B_k = P·(1 − v^(n−k)) / (1 − v^n) with v = 1/(1 + i),
 * i.e. P·(E^n − E^k·d^(n−k)) / (E^n − d^n) for i = a/d and E = d + a.
 *
 * Exact rationals of n·log2(E) bits are slow at long terms, so the powers of v are enclosed
 * between two 128-bit fixed-point bounds (rounded down and up at every step); when the bracket
 * they give B_k holds no half cent, both ends round alike and so does B_k. Only otherwise (a tie
 * or a near tie) is B_k computed exactly. The result is always the exact one.
 */
export function priceBalances(principal: bigint, rate: Ratio, n: number): bigint[] {
  const { num: a, den: d } = rate;
  const big = BigInt(n);
  if (a === 0n)
    return Array.from({ length: n }, (_, index) => roundHalfEven(principal * (big - BigInt(index + 1)), big));
  const e = d + a;
  let exact: { grown: bigint; span: bigint } | undefined;
  const exactly = (k: number): bigint => {
    exact ??= { grown: e ** big, span: e ** big - d ** big };
    return roundHalfEven(principal * (exact.grown - e ** BigInt(k) * d ** BigInt(n - k)), exact.span);
  };
  const vLow = (d << BITS) / e;
  const vHigh = vLow * e === d << BITS ? vLow : vLow + 1n;
  // v^m rounded down and up at every step: lows[m] ≤ v^m ≤ highs[m].
  const lows: bigint[] = [ONE];
  const highs: bigint[] = [ONE];
  for (let m = 1; m <= n; m += 1) {
    lows.push((lows[m - 1]! * vLow) >> BITS);
    highs.push((highs[m - 1]! * vHigh + ONE - 1n) >> BITS);
  }
  const denLow = ONE - highs[n]!;
  const denHigh = ONE - lows[n]!;
  const balances: bigint[] = [];
  for (let k = 1; k <= n; k += 1) balances.push(denLow > 0n ? (bracketed(k) ?? exactly(k)) : exactly(k));
  return balances;

  /** B_k rounded when its bracket holds no half cent (a rounding tie); undefined otherwise. */
  function bracketed(k: number): bigint | undefined {
    // ⌊B + 1/2⌋ at both ends of the bracket, as (2·P·num + den) / (2·den).
    const low = 2n * principal * (ONE - highs[n - k]!) + denHigh;
    const rounded = low / (2n * denHigh);
    const high = (2n * principal * (ONE - lows[n - k]!) + denLow) / (2n * denLow);
    // Equal ends, and the lower end not exactly on a half cent: B_k rounds to the same cent.
    return rounded === high && low % (2n * denHigh) !== 0n ? rounded : undefined;
  }
}
