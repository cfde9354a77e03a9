import { type Ratio, roundHalfEven } from "./decimal.ts";

// 128 bits: 1 − v ≥ 10^−30 (rates have at most 30 places) stays far above 600 ulps of error.
const BITS = 128n;
const ONE = 1n << BITS;

/** What the balances of every loan of one (rate, term) share: the bounds on the powers of v. */
interface Powers {
  /** 2·(ONE − highs[m]) and 2·(ONE − lows[m]), m = 0..n: the numerators' factors of the bracket. */
  readonly twiceLowGap: readonly bigint[];
  readonly twiceHighGap: readonly bigint[];
  readonly denLow: bigint;
  readonly denHigh: bigint;
  /** PMT = P·paymentNum / paymentDen before rounding: a·E^n and d·(E^n − d^n). */
  readonly paymentNum: bigint;
  readonly paymentDen: bigint;
}

/**
 * Loans share a few hundred (rate, term) pairs. Parsed rates are shared objects (parseRate's
 * cache), so powers are found by the rate object, then by term; a rate parsed anew (its cache was
 * cleared) starts a fresh entry and the old one goes with its rate.
 */
const cache = new WeakMap<Ratio, Map<number, Powers>>();

function powersOf(rate: Ratio, n: number): Powers {
  let byTerm = cache.get(rate);
  if (byTerm === undefined) {
    byTerm = new Map();
    cache.set(rate, byTerm);
  }
  const cached = byTerm.get(n);
  if (cached !== undefined) return cached;
  const { num: a, den: d } = rate;
  const e = d + a;
  const vLow = (d << BITS) / e;
  const vHigh = vLow * e === d << BITS ? vLow : vLow + 1n;
  // v^m rounded down and up at every step: lows[m] ≤ v^m ≤ highs[m].
  const twiceLowGap: bigint[] = [0n];
  const twiceHighGap: bigint[] = [0n];
  let low = ONE;
  let high = ONE;
  for (let m = 1; m <= n; m += 1) {
    low = (low * vLow) >> BITS;
    high = (high * vHigh + ONE - 1n) >> BITS;
    twiceLowGap.push(2n * (ONE - high));
    twiceHighGap.push(2n * (ONE - low));
  }
  const grown = e ** BigInt(n);
  const powers = {
    twiceLowGap,
    twiceHighGap,
    denLow: ONE - high,
    denHigh: ONE - low,
    paymentNum: a * grown,
    paymentDen: d * (grown - d ** BigInt(n)),
  };
  byTerm.set(n, powers);
  return powers;
}

/**
 * The Tabela Price installment PMT = P·i / (1 − (1 + i)^−n), exactly P·a·E^n / (d·(E^n − d^n))
 * with i = a/d and E = d + a, rounded half-even to the cent (P/n at a zero rate).
 */
export function pricePayment(principal: bigint, rate: Ratio, n: number): bigint {
  if (rate.num === 0n) return roundHalfEven(principal, BigInt(n));
  const { paymentNum, paymentDen } = powersOf(rate, n);
  return roundHalfEven(principal * paymentNum, paymentDen);
}

/**
 * The Tabela Price balances after installments 1..n, each the exact balance of the exact payment
 * stream rounded half-even to the cent: B_k = P·(1 − v^(n−k)) / (1 − v^n) with v = 1/(1 + i),
 * i.e. P·(E^n − E^k·d^(n−k)) / (E^n − d^n) for i = a/d and E = d + a.
 *
 * Exact rationals of n·log2(E) bits are slow at long terms, so the powers of v are enclosed
 * between two 128-bit fixed-point bounds (rounded down and up at every step; computed once per
 * rate and term); when the bracket they give B_k holds no half cent, both ends round alike and
 * so does B_k. Only otherwise (a tie or a near tie) is B_k computed exactly. The result is always
 * the exact one.
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
  const { twiceLowGap, twiceHighGap, denLow, denHigh } = powersOf(rate, n);
  const balances: bigint[] = [];
  if (denLow <= 0n) {
    for (let k = 1; k <= n; k += 1) balances.push(exactly(k));
    return balances;
  }
  const twiceDenHigh = 2n * denHigh;
  const twiceDenLow = 2n * denLow;
  for (let k = 1; k <= n; k += 1) {
    // ⌊B + 1/2⌋ at both ends of the bracket, as (2·P·num + den) / (2·den).
    const low = principal * (twiceLowGap[n - k] as bigint) + denHigh;
    const rounded = low / twiceDenHigh;
    const high = (principal * (twiceHighGap[n - k] as bigint) + denLow) / twiceDenLow;
    // Equal ends, and the lower end not exactly on a half cent: B_k rounds to the same cent.
    balances.push(rounded === high && low - rounded * twiceDenHigh !== 0n ? rounded : exactly(k));
  }
  return balances;
}
