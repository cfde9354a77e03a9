/**
 * Calendar arithmetic in UTC on epoch days (days since 1970-01-01), with the Brazilian national
 * banking calendar. Nothing here reads the clock: every date derives from a passed-in
 * `reference_datetime`.
 */

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 (UTC) of a date; the time of day is dropped. */
export function toEpochDay(date: Date): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError("invalid date");
  return Math.floor(ms / MS_PER_DAY);
}

/** Midnight UTC of an epoch day. */
export function fromEpochDay(day: number): Date {
  return new Date(day * MS_PER_DAY);
}

/** `YYYY-MM-DD` of an epoch day (the form of a SQL `date`). */
export function epochDayToIso(day: number): string {
  return fromEpochDay(day).toISOString().slice(0, 10);
}

/** Epoch day of a calendar date (month 1–12). */
export function epochDayOf(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / MS_PER_DAY);
}

/** Day of week of an epoch day: 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function dayOfWeek(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/**
 * Parses a manifest `reference_datetime`: ISO 8601 with an explicit `Z` or offset, so the same
 * manifest means the same instant everywhere.
 */
export function parseReferenceDatetime(iso: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(iso)) {
    throw new RangeError("reference_datetime must be ISO 8601 with a Z or an offset");
  }
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new RangeError("reference_datetime is not a valid date");
  return d;
}

/**
 * Easter Sunday of a Gregorian year as an epoch day: the anonymous Gregorian algorithm
 * (Meeus/Jones/Butcher, as in Meeus, "Astronomical Algorithms", ch. 8).
 */
export function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return epochDayOf(year, month, day);
}

/**
 * Fixed national holidays, month and day. Law 662/1949 as amended by Law 10.607/2002 (Jan 1,
 * Apr 21 Tiradentes, May 1, Sep 7, Nov 2, Nov 15, Dec 25); Law 6.802/1980 (Oct 12); Law
 * 14.759/2023 (Nov 20, Black Consciousness Day, national from 2024).
 */
const FIXED: readonly (readonly [number, number, number])[] = [
  [1, 1, 0],
  [4, 21, 0],
  [5, 1, 0],
  [9, 7, 0],
  [10, 12, 0],
  [11, 2, 0],
  [11, 15, 0],
  [11, 20, 2024],
  [12, 25, 0],
];

/**
 * Days relative to Easter Sunday on which banks do not open, as in FEBRABAN's national banking
 * calendar: Carnival Monday and Tuesday (Easter − 48, − 47; not holidays by law, but bank
 * non-business days), Good Friday (Easter − 2; Law 9.093/1995) and Corpus Christi (Easter + 60).
 */
const EASTER_OFFSETS: readonly number[] = [-48, -47, -2, 60];

const cache = new Map<number, ReadonlySet<number>>();

/** The Brazilian national bank holidays of a year, as epoch days (memoized; pure). */
export function bankHolidays(year: number): ReadonlySet<number> {
  let set = cache.get(year);
  if (set === undefined) {
    const days = new Set<number>();
    for (const [month, day, since] of FIXED) if (year >= since) days.add(epochDayOf(year, month, day));
    const easter = easterSunday(year);
    for (const offset of EASTER_OFFSETS) days.add(easter + offset);
    set = days;
    cache.set(year, set);
  }
  return set;
}

function yearOfEpochDay(day: number): number {
  return fromEpochDay(day).getUTCFullYear();
}

/** Whether an epoch day is a business day: Monday to Friday and not a national bank holiday. */
export function isBusinessEpochDay(day: number): boolean {
  const dow = dayOfWeek(day);
  if (dow === 0 || dow === 6) return false;
  return !bankHolidays(yearOfEpochDay(day)).has(day);
}

/**
 * Moves `n` business days from `day` (negative goes back). With n = 0, returns `day` when it is a
 * business day, else the next business day.
 */
export function addBusinessEpochDays(day: number, n: number): number {
  if (!Number.isInteger(n)) throw new RangeError("n must be an integer");
  let d = day;
  if (n === 0) {
    while (!isBusinessEpochDay(d)) d++;
    return d;
  }
  const step = n > 0 ? 1 : -1;
  let left = Math.abs(n);
  while (left > 0) {
    d += step;
    if (isBusinessEpochDay(d)) left--;
  }
  return d;
}

/** Whether the UTC calendar day of `date` is a Brazilian business day. */
export function isBusinessDay(date: Date): boolean {
  return isBusinessEpochDay(toEpochDay(date));
}

/** `date` moved by `n` business days, at midnight UTC (see {@link addBusinessEpochDays}). */
export function addBusinessDays(date: Date, n: number): Date {
  return fromEpochDay(addBusinessEpochDays(toEpochDay(date), n));
}
