import { SementeError } from "../errors/index.ts";
import { toEpochDay } from "./dates.ts";
import { assertCents } from "./money.ts";
import type { CetOptions, CetResult, Installment } from "./types.ts";

/** Places of the annual CET: the stored precision, `loans.cet_annual numeric(9,6)`. */
const ANNUAL_PLACES = 6;
const MONTHLY_PLACES = 8;
const MAX_ITERATIONS = 200;
const TOLERANCE = 1e-15;
// Bracket on v = ln(1 + CET): from −99.995 % to about 2.2 million % a year.
const LOWER = -10;
const UPPER = 10;

/** The cash flows: amounts (cents) and their times in years since the contract. */
interface Flows {
  amounts: Float64Array;
  years: Float64Array;
}

/** Σ amount·(1 + A)^−years − released, with v = ln(1 + A), and its derivative in v. */
function evaluate(flows: Flows, released: number, v: number): { value: number; slope: number } {
  const { amounts, years } = flows;
  let value = -released;
  let slope = 0;
  for (let j = 0; j < amounts.length; j++) {
    const discounted = (amounts[j] as number) * Math.exp(-(years[j] as number) * v);
    value += discounted;
    slope -= (years[j] as number) * discounted;
  }
  return { value, slope };
}

function flowsOf(options: CetOptions, start: number, dueDays: readonly number[] | undefined): Flows {
  const installments = options.schedule.installments;
  const amounts = new Float64Array(installments.length);
  const years = new Float64Array(installments.length);
  for (let j = 0; j < installments.length; j++) {
    const installment = installments[j] as Installment;
    const days = (dueDays === undefined ? toEpochDay(installment.dueOn) : (dueDays[j] as number)) - start;
    if (days < 0) {
      throw new SementeError("VALIDATION_FAILED", `installment ${installment.number} is due before the contract date`);
    }
    amounts[j] = installment.totalCents;
    years[j] = days / 365;
  }
  return { amounts, years };
}

/**
 * CET (*custo efetivo total*, Resolução CMN 3.517/2007): the annual rate solving
 * Σ FC_j / (1 + CET)^((d_j − d_0)/365) = FC_0, where FC_0 = principal − IOF − fees (the amount
 * actually released) and FC_j are the installments at their due dates. Newton's method on
 * v = ln(1 + CET) inside a bisection bracket, fixed tolerance and iteration cap, so the same inputs
 * always take the same path. Both rates are rounded once, from the solver's double (Number#toFixed:
 * nearest, exactly specified by ECMAScript): the annual e^v − 1 to the stored 6 places, the monthly
 * e^(v/12) − 1 to 8 places. Never a rounding of a rounded value.
 */
export function cet(options: CetOptions): CetResult {
  return cetOfDays(options);
}

/** {@link cet}, given the installments' due dates as epoch days when the caller has them. */
export function cetOfDays(options: CetOptions, dueDays?: readonly number[]): CetResult {
  assertCents(options.principalCents, "principalCents");
  assertCents(options.iofCents, "iofCents");
  assertCents(options.feesCents, "feesCents");
  const released = options.principalCents - options.iofCents - options.feesCents;
  if (released <= 0) throw new SementeError("VALIDATION_FAILED", "principal net of IOF and fees must be positive");
  const flows = flowsOf(options, toEpochDay(options.contractedOn), dueDays);
  let lower = LOWER;
  let upper = UPPER;
  if (!(evaluate(flows, released, lower).value > 0 && evaluate(flows, released, upper).value < 0)) {
    throw new SementeError("VALIDATION_FAILED", "the cash flow has no CET between -99.99 % and 2,200,000 % a year");
  }
  let v = firstGuess(flows, released);
  if (!(v > lower && v < upper)) v = (lower + upper) / 2;
  let iterations = 0;
  while (iterations < MAX_ITERATIONS) {
    iterations += 1;
    const { value, slope } = evaluate(flows, released, v);
    if (value === 0) break;
    if (value > 0) lower = v;
    else upper = v;
    let next = v - value / slope;
    if (!(next > lower && next < upper)) next = (lower + upper) / 2;
    const step = Math.abs(next - v);
    v = next;
    if (step <= TOLERANCE * Math.max(1, Math.abs(v)) || upper - lower <= TOLERANCE) break;
  }
  return {
    annual: written(Math.expm1(v), ANNUAL_PLACES),
    monthly: written(Math.expm1(v / 12), MONTHLY_PLACES),
    iterations,
  };
}

/** ln(paid / released) over the amount-weighted mean time of the flows (0 when that is 0). */
function firstGuess(flows: Flows, released: number): number {
  let paid = 0;
  let weighted = 0;
  for (let j = 0; j < flows.amounts.length; j++) {
    paid += flows.amounts[j] as number;
    weighted += (flows.amounts[j] as number) * (flows.years[j] as number);
  }
  const meanYears = weighted / paid;
  return meanYears > 0 ? Math.log(paid / released) / meanYears : 0;
}

function written(rate: number, places: number): string {
  const text = rate.toFixed(places);
  // toFixed keeps the sign of a tiny negative ("-0.000000"); a zero rate is written unsigned.
  return Number(text) === 0 ? (0).toFixed(places) : text;
}
