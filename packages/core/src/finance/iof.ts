import { SementeError } from "../errors/index.ts";
import { toEpochDay } from "./dates.ts";
import { parseRate, roundHalfEven, toSafeNumber } from "./decimal.ts";
import { iofRatesOn } from "./iof-rates.ts";
import type { Installment, IofOptions, IofResult, IofTerm } from "./types.ts";

/** Day-count cap of the daily rate (Decreto 6.306/2007 art. 7º: at most 365 days per principal). */
const MAX_DAYS = 365;

/**
 * IOF on a credit operation with a defined term. Daily part: Σ principal_k × daily rate ×
 * min(days_k, 365), summed exactly and rounded once, half-even, to the cent. Additional part:
 * principal × additional rate, rounded half-even. Rates come from {@link iofRatesOn}.
 */
export function iof(options: IofOptions): IofResult {
  return iofOfDays(options);
}

/** {@link iof}, given the installments' due dates as epoch days when the caller has them. */
export function iofOfDays(options: IofOptions, dueDays?: readonly number[]): IofResult {
  const rates = iofRatesOn(options.contractedOn);
  const start = toEpochDay(options.contractedOn);
  const daily = parseRate(options.borrower === "PF" ? rates.dailyPF : rates.dailyPJ, "daily IOF rate");
  const additional = parseRate(options.borrower === "PF" ? rates.additionalPF : rates.additionalPJ, "IOF rate");
  const installments = options.schedule.installments;
  const terms: IofTerm[] = new Array(installments.length);
  // Σ principal × days in a double while it stays exact (below 2^53), else in a bigint.
  let small = 0;
  let weighted = 0n;
  for (let index = 0; index < installments.length; index += 1) {
    const installment = installments[index] as Installment;
    const elapsed = (dueDays === undefined ? toEpochDay(installment.dueOn) : (dueDays[index] as number)) - start;
    if (elapsed < 0) {
      throw new SementeError("VALIDATION_FAILED", `installment ${installment.number} is due before the contract date`);
    }
    const days = Math.min(elapsed, MAX_DAYS);
    const product = installment.principalCents * days;
    const exact = Number.isSafeInteger(installment.principalCents) && Number.isSafeInteger(product);
    if (exact && Number.isSafeInteger(small + product)) small += product;
    else weighted += BigInt(installment.principalCents) * BigInt(days);
    terms[index] = {
      number: installment.number,
      dueOn: installment.dueOn,
      principalCents: installment.principalCents,
      days,
    };
  }
  weighted += BigInt(small);
  const dailyCents = toSafeNumber(roundHalfEven(weighted * daily.num, daily.den), "IOF");
  const additionalCents = toSafeNumber(
    roundHalfEven(BigInt(options.schedule.principalCents) * additional.num, additional.den),
    "IOF",
  );
  return { dailyCents, additionalCents, totalCents: dailyCents + additionalCents, terms, rates };
}
