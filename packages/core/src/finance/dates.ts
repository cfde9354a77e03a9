import { SementeError } from "../errors/index.ts";
import { digitsValue } from "./money.ts";
import type { DateInput } from "./types.ts";

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?Z)?$/;
const MIN_DAY = daysFromCivil(1, 1, 1);
const MAX_DAY = daysFromCivil(9999, 12, 31);

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function civilFromDays(epochDay: number): { year: number; month: number; day: number } {
  const z = epochDay + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Number of days of a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The epoch day of a valid plain "YYYY-MM-DD" read by hand (dates are read back for every row);
 * undefined for anything else, which the regular expression then decides.
 */
function plainIsoDay(text: string): number | undefined {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  const year = digitsValue(text, 0, 4);
  const month = digitsValue(text, 5, 7);
  const day = digitsValue(text, 8, 10);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return daysFromCivil(year, month, day);
}

/**
 * Days since 1970-01-01 (UTC) of an epoch day or an ISO date ("2025-01-31"); an ISO UTC
 * date-time ("2025-01-01T00:00:00Z") counts as its UTC date.
 */
export function toEpochDay(date: DateInput): number {
  if (typeof date === "number") {
    if (!Number.isSafeInteger(date) || date < MIN_DAY || date > MAX_DAY) {
      throw new SementeError("VALIDATION_FAILED", "epoch day must be an integer between years 0001 and 9999");
    }
    return date;
  }
  const plain = plainIsoDay(date);
  if (plain !== undefined) return plain;
  const match = ISO.exec(date);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  const day = Number(match?.[3]);
  if (match === null || year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new SementeError("VALIDATION_FAILED", `not an ISO date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  }
  return daysFromCivil(year, month, day);
}

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

/** The ISO date ("YYYY-MM-DD") of an epoch day or date. */
export function toIsoDate(date: DateInput): string {
  const { year, month, day } = civilFromDays(toEpochDay(date));
  const y = year >= 1000 ? String(year) : String(year).padStart(4, "0");
  return `${y}-${PAD2[month]}-${PAD2[day]}`;
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: DateInput, to: DateInput): number {
  return toEpochDay(to) - toEpochDay(from);
}

function shiftMonths(year: number, month: number, day: number, months: number): number {
  if (!Number.isSafeInteger(months)) throw new SementeError("VALIDATION_FAILED", "months must be an integer");
  const index = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(index / 12);
  const targetMonth = index - targetYear * 12 + 1;
  return toEpochDay(daysFromCivil(targetYear, targetMonth, Math.min(day, daysInMonth(targetYear, targetMonth))));
}

/**
 * Adds calendar months keeping the day of month, clamped to the month's last day
 * (2025-01-31 + 1 month = 2025-02-28). Always counted from `date`, so clamping never drifts.
 */
export function addMonths(date: DateInput, months: number): number {
  if (!Number.isSafeInteger(months)) throw new SementeError("VALIDATION_FAILED", "months must be an integer");
  const { year, month, day } = civilFromDays(toEpochDay(date));
  return shiftMonths(year, month, day, months);
}

/**
 * `months => addMonths(date, months)`, reading `date` once: the due dates of a schedule are all
 * counted from its first one.
 */
export function monthsFrom(date: DateInput): (months: number) => number {
  const { year, month, day } = civilFromDays(toEpochDay(date));
  return (months) => shiftMonths(year, month, day, months);
}
