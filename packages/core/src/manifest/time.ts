import { SementeError } from "../errors/index.ts";
import { HHMM_PATTERN, TTL_PATTERN, UTC_DATETIME_PATTERN } from "./schema.ts";
import type { Window } from "./types.ts";

const MINUTES_PER_DAY = 24 * 60;
const HHMM = new RegExp(HHMM_PATTERN);
const TTL = new RegExp(TTL_PATTERN);
const UTC_DATETIME = new RegExp(UTC_DATETIME_PATTERN);

/** Minutes since 00:00 of an `HH:MM` string, or `undefined` when it is not valid `HH:MM`. */
export function parseHhmm(value: string): number | undefined {
  if (!HHMM.test(value)) return undefined;
  return Number(value.slice(0, 2)) * 60 + Number(value.slice(3, 5));
}

/**
 * Whether `instant` falls in the daily window `[start_utc, end_utc)`; `end_utc < start_utc` crosses
 * midnight, and `end_utc: "23:59"` includes the whole last minute of the day. Pure: the caller
 * passes the instant (the clock never enters this module).
 */
export function isWithinWindow(window: Window, instant: Date): boolean {
  const start = parseHhmm(window.start_utc);
  const end = parseHhmm(window.end_utc);
  if (start === undefined || end === undefined || start === end) return false;
  const minute = instant.getUTCHours() * 60 + instant.getUTCMinutes();
  const effectiveEnd = window.end_utc === "23:59" ? MINUTES_PER_DAY : end;
  if (start < effectiveEnd) return minute >= start && minute < effectiveEnd;
  return minute >= start || minute < effectiveEnd;
}

/**
 * THE off-peak window decision: throws `OUTSIDE_WINDOW` (409, the window in the problem's
 * extensions) unless `instant` is within `window`. The gateway's admission and the planner's
 * preflight both call this; neither decides on its own.
 */
export function assertWithinWindow(window: Window, instant: Date): void {
  if (!isWithinWindow(window, instant)) {
    throw new SementeError("OUTSIDE_WINDOW", "outside the manifest's off-peak window", {
      extensions: { window },
    });
  }
}

/** Seconds in a TTL duration (`P30D`, `P1W`, `PT12H`, `P1DT6H`), or `undefined` if malformed. */
export function parseTtlSeconds(value: string): number | undefined {
  const m = TTL.exec(value);
  if (!m) return undefined;
  const [weeks, days, hours] = [m[1], m[2], m[3]].map((g) => (g === undefined ? 0 : Number(g))) as [
    number,
    number,
    number,
  ];
  return ((weeks * 7 + days) * 24 + hours) * 3600;
}

/** Whether `value` is `YYYY-MM-DDTHH:MM:SS[.sss]Z` naming a real calendar instant. */
export function isValidUtcDatetime(value: string): boolean {
  if (!UTC_DATETIME.test(value)) return false;
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  const hour = Number(value.slice(11, 13));
  const minute = Number(value.slice(14, 16));
  const second = Number(value.slice(17, 19));
  // Year 0 does not exist in PostgreSQL's calendar (timestamptz refuses it).
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  return hour <= 23 && minute <= 59 && second <= 59;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
