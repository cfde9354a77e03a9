import { SementeError } from "../errors/index.ts";

/** An exact rational number; `den` is always positive. */
export interface Ratio {
  num: bigint;
  den: bigint;
}

const DECIMAL = /^(-?)(\d{1,30})(?:\.(\d{1,30}))?$/;

export function parseDecimal(text: string, what: string): Ratio {
  const match = DECIMAL.exec(text);
  if (match === null) {
    throw new SementeError(
      "VALIDATION_FAILED",
      `${what} must be a decimal string such as "0.0199" (at most 30 places)`,
    );
  }
  const fraction = match[3] ?? "";
  const magnitude = BigInt(match[2] + fraction);
  return { num: match[1] === "-" ? -magnitude : magnitude, den: 10n ** BigInt(fraction.length) };
}

/**
 * Loans share a few hundred rates (monthly rates, IOF rates): parsed rates are kept, frozen, and
 * the cache is cleared when it fills. Other decimals (CETs, one per loan) are never kept here.
 */
const MAX_RATES = 4096;
const rates = new Map<string, Ratio>();

export function parseRate(text: string, what: string): Ratio {
  const cached = rates.get(text);
  if (cached !== undefined) return cached;
  const rate = Object.freeze(parseDecimal(text, what));
  if (rate.num < 0n) throw new SementeError("VALIDATION_FAILED", `${what} must not be negative`);
  if (rates.size >= MAX_RATES) rates.clear();
  rates.set(text, rate);
  return rate;
}

/**
 * Rounds num/den to an integer, half to even (ABNT NBR 5891). `inexact` marks a value known to
 * lie strictly above num/den (a truncated root), so an apparent tie rounds up.
 */
export function roundHalfEven(num: bigint, den: bigint, inexact = false): bigint {
  let quotient = num / den;
  let remainder = num % den;
  if (remainder < 0n) {
    quotient -= 1n;
    remainder += den;
  }
  const twice = 2n * remainder;
  if (twice > den || (twice === den && (inexact || (quotient & 1n) === 1n))) quotient += 1n;
  return quotient;
}

/** Writes scaled / 10^places as a plain decimal string with exactly `places` places. */
export function formatScaled(scaled: bigint, places: number): string {
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const body = places === 0 ? whole : `${whole}.${digits.slice(digits.length - places)}`;
  return negative ? `-${body}` : body;
}

/** Floor of the n-th root of x (x ≥ 0) and whether it is exact. */
export function integerRoot(x: bigint, n: number): { root: bigint; exact: boolean } {
  if (x < 2n) return { root: x, exact: true };
  const degree = BigInt(n);
  const bits = BigInt(x.toString(2).length);
  let root = 1n << ((bits + degree - 1n) / degree);
  for (;;) {
    const next = ((degree - 1n) * root + x / root ** (degree - 1n)) / degree;
    if (next >= root) break;
    root = next;
  }
  return { root, exact: root ** degree === x };
}

/** Whether two decimal strings denote the same number ("0.10" equals "0.1"). */
export function sameDecimal(a: string, b: string): boolean {
  // The same text is the same number once it is known to be a decimal (the usual case: a stored
  // rate re-read against the routine's).
  if (a === b && DECIMAL.test(a)) return true;
  const left = parseDecimal(a, "value");
  const right = parseDecimal(b, "value");
  return left.num * right.den === right.num * left.den;
}

export function toSafeNumber(value: bigint, what: string): number {
  const result = Number(value);
  if (!Number.isSafeInteger(result)) {
    throw new SementeError("VALIDATION_FAILED", `${what} is outside the safe integer range of cents`);
  }
  return result;
}
