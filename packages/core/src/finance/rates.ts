import { SementeError } from "../errors/index.ts";
import { formatScaled, integerRoot, parseDecimal, roundHalfEven } from "./decimal.ts";

const GUARD_DIGITS = 3;

function assertPlaces(places: number): void {
  if (!Number.isInteger(places) || places < 1 || places > 18) {
    throw new SementeError("VALIDATION_FAILED", "places must be an integer from 1 to 18");
  }
}

/**
 * Compound-equivalent monthly rate of an annual rate: (1 + a)^(1/12) − 1, rounded half-even to
 * `places` decimal places of the fraction (9 places = 0.0000001 %, below a cent on any loan up
 * to R$ 10 million a month). Computed with an exact integer 12th root, so the result is
 * correctly rounded, not float-dependent.
 */
export function monthlyFromAnnual(annual: string, places = 9): string {
  assertPlaces(places);
  const rate = parseDecimal(annual, "annual rate");
  const base = rate.den + rate.num;
  if (base <= 0n) throw new SementeError("VALIDATION_FAILED", "annual rate must be greater than -1");
  const scale = places + GUARD_DIGITS;
  const scaled = base * 10n ** BigInt(12 * scale);
  const { root, exact } = integerRoot(scaled / rate.den, 12);
  const inexact = !exact || scaled % rate.den !== 0n;
  const monthly = roundHalfEven(root - 10n ** BigInt(scale), 10n ** BigInt(GUARD_DIGITS), inexact);
  return formatScaled(monthly, places);
}

/** Loans share a few hundred monthly rates; the cache (per number of places) is cleared when it fills. */
const MAX_CACHED = 4096;
const annuals = new Map<number, Map<string, string>>();

/** Compound-equivalent annual rate of a monthly rate: (1 + m)^12 − 1, exact then rounded half-even. */
export function annualFromMonthly(monthly: string, places = 9): string {
  assertPlaces(places);
  let byRate = annuals.get(places);
  if (byRate === undefined) {
    byRate = new Map();
    annuals.set(places, byRate);
  }
  const cached = byRate.get(monthly);
  if (cached !== undefined) return cached;
  const annual = computeAnnual(monthly, places);
  if (byRate.size >= MAX_CACHED) byRate.clear();
  byRate.set(monthly, annual);
  return annual;
}

function computeAnnual(monthly: string, places: number): string {
  const rate = parseDecimal(monthly, "monthly rate");
  const base = rate.den + rate.num;
  if (base <= 0n) throw new SementeError("VALIDATION_FAILED", "monthly rate must be greater than -1");
  const den = rate.den ** 12n;
  return formatScaled(roundHalfEven((base ** 12n - den) * 10n ** BigInt(places), den), places);
}
