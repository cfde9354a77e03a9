// An independent oracle for the finance routine, written apart from src/finance: exact rationals
// (BigInt) for money, and 60-digit fixed-point logarithms and exponentials for the CET. It shares
// no code with the routine, so a defect in one is not silently repeated in the other.

/** A non-negative exact rational. */
export interface Q {
  n: bigint;
  d: bigint;
}

/** "0.0497" → 497/10000 (plain decimal strings only). */
export function decimal(text: string): Q {
  const [whole = "0", fraction = ""] = text.split(".");
  return { n: BigInt(whole + fraction), d: 10n ** BigInt(fraction.length) };
}

/** n/d rounded to an integer, ties to even (n ≥ 0, d > 0). */
export function halfEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const twice = 2n * (n % d);
  return twice > d || (twice === d && q % 2n === 1n) ? q + 1n : q;
}

/** Whole days from one ISO date to another, by the host's UTC calendar. */
export function daysFrom(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Price payment P·i / (1 − (1 + i)^−n) as an exact rational, and the exact balance path B_0..B_n. */
export function pricePath(principal: number, rate: Q, n: number): { payment: Q; balances: Q[] } {
  const p = BigInt(principal);
  if (rate.n === 0n) {
    const payment = { n: p, d: BigInt(n) };
    return { payment, balances: Array.from({ length: n + 1 }, (_, k) => ({ n: p * BigInt(n - k), d: BigInt(n) })) };
  }
  // PMT = p·a·(d + a)^n / (d·((d + a)^n − d^n)); then B_k = B_(k−1)·(d + a)/d − PMT, by recurrence.
  const up = (rate.d + rate.n) ** BigInt(n);
  const payment = { n: p * rate.n * up, d: rate.d * (up - rate.d ** BigInt(n)) };
  const balances: Q[] = [{ n: p, d: 1n }];
  // B_k = num_k / (PMT.d·d^k): num_k = num_(k−1)·(d + a) − PMT.n·d^k.
  let num = p * payment.d;
  let den = payment.d;
  let paid = payment.n;
  for (let k = 1; k <= n; k += 1) {
    paid *= rate.d;
    num = num * (rate.d + rate.n) - paid;
    den *= rate.d;
    balances.push({ n: num, d: den });
  }
  return { payment, balances };
}

const DIGITS = 60n;
const ONE = 10n ** DIGITS;

function mul(a: bigint, b: bigint): bigint {
  return (a * b) / ONE;
}

/** atanh(z)·ONE for a fixed-point 0 ≤ z < 1/2, by its power series. */
function atanh(z: bigint): bigint {
  const z2 = mul(z, z);
  let power = z;
  let sum = 0n;
  for (let k = 1n; power > 0n; k += 2n) {
    sum += power / k;
    power = mul(power, z2);
  }
  return sum;
}

const LN2 = 2n * atanh(ONE / 3n);

/** ln(x)·ONE of an exact rational x > 0: x = 2^k·y with y in [2/3, 4/3), ln y = 2·atanh((y − 1)/(y + 1)). */
function ln(x: Q): bigint {
  let k = 0n;
  let { n, d } = x;
  while (3n * n >= 4n * d) {
    d *= 2n;
    k += 1n;
  }
  while (3n * n < 2n * d) {
    n *= 2n;
    k -= 1n;
  }
  const z = ((n - d) * ONE) / (n + d);
  const sign = z < 0n ? -1n : 1n;
  return k * LN2 + sign * 2n * atanh(sign * z);
}

/** e^y·ONE for a fixed-point |y| ≤ 1, by its Taylor series. */
function exp(y: bigint): bigint {
  let term = ONE;
  let sum = ONE;
  for (let k = 1n; term !== 0n; k += 1n) {
    term = mul(term, y) / k;
    sum += term;
  }
  return sum;
}

function pow(base: bigint, e: number): bigint {
  let result = ONE;
  let square = base;
  for (let rest = e; rest > 0; rest >>= 1) {
    if (rest & 1) result = mul(result, square);
    square = mul(square, square);
  }
  return result;
}

/** One cash flow of the CET equation: an amount in cents paid `days` after the release. */
export interface Flow {
  cents: number;
  days: number;
}

/**
 * Σ cents_j·(1 + c)^(−days_j/365) − released, ×ONE, at an exact rational rate c (> −1). Positive
 * below the CET, negative above it (the flows are positive). Flows must be sorted by day.
 */
export function npv(released: number, flows: readonly Flow[], c: Q): bigint {
  // (1 + c)^(−1/365) once, then one multiplication per flow by its power over the previous day.
  const daily = exp(-ln({ n: c.d + c.n, d: c.d }) / 365n);
  const steps = new Map<number, bigint>();
  let discount = ONE;
  let day = 0;
  let sum = -BigInt(released) * ONE;
  for (const flow of flows) {
    const step = flow.days - day;
    let factor = steps.get(step);
    if (factor === undefined) {
      factor = pow(daily, step);
      steps.set(step, factor);
    }
    discount = mul(discount, factor);
    day = flow.days;
    sum += BigInt(flow.cents) * discount;
  }
  return sum;
}

/**
 * Whether the exact root of the CET equation lies in (lower, upper): the NPV changes sign there.
 * Each NPV must clear `ONE / 10^30` (about 10^−30 cents), far above the fixed-point error, so the
 * oracle never decides on noise.
 */
export function rootBetween(released: number, flows: readonly Flow[], lower: Q, upper: Q): boolean {
  const margin = ONE / 10n ** 30n;
  return npv(released, flows, lower) > margin && npv(released, flows, upper) < -margin;
}

/** The interval of annual rates whose 6-place (or `places`) rounding is `written`: written ± half a unit. */
export function roundingInterval(written: string, places: number): [Q, Q] {
  const value = decimal(written);
  const unit = 10n ** BigInt(places);
  const n = value.n * ((2n * unit) / value.d);
  return [
    { n: n - 1n, d: 2n * unit },
    { n: n + 1n, d: 2n * unit },
  ];
}

/** (1 + m)^12 − 1 exactly: the annual rate of a monthly rate. */
export function annualOf(monthly: Q): Q {
  return { n: (monthly.d + monthly.n) ** 12n - monthly.d ** 12n, d: monthly.d ** 12n };
}
