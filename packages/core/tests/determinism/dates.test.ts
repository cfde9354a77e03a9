import { describe, expect, test } from "bun:test";
import {
  addBusinessDays,
  addBusinessEpochDays,
  dayOfWeek,
  easterSunday,
  epochDayOf,
  epochDayToIso,
  isBusinessDay,
  isBusinessEpochDay,
  parseReferenceDatetime,
  toEpochDay,
} from "../../src/determinism/index.ts";

const iso = (s: string) => parseReferenceDatetime(`${s}T00:00:00Z`);

describe("business-day calendar", () => {
  test("Easter Sunday matches published dates", () => {
    expect(epochDayToIso(easterSunday(2024))).toBe("2024-03-31");
    expect(epochDayToIso(easterSunday(2025))).toBe("2025-04-20");
    expect(epochDayToIso(easterSunday(2026))).toBe("2026-04-05");
    expect(epochDayToIso(easterSunday(2000))).toBe("2000-04-23");
  });

  test("2025 Carnival, Good Friday and Corpus Christi are not business days", () => {
    for (const d of ["2025-03-03", "2025-03-04", "2025-04-18", "2025-06-19"]) expect(isBusinessDay(iso(d))).toBe(false);
    expect(isBusinessDay(iso("2025-03-05"))).toBe(true);
  });

  test("fixed holidays and weekends are not business days; Nov 20 only from 2024", () => {
    for (const d of [
      "2025-01-01",
      "2025-04-21",
      "2025-05-01",
      "2025-09-07",
      "2025-10-13",
      "2025-11-20",
      "2025-12-25",
    ]) {
      const day = toEpochDay(iso(d));
      const expected = d === "2025-10-13";
      expect(isBusinessEpochDay(day)).toBe(expected);
    }
    expect(isBusinessDay(iso("2023-11-20"))).toBe(true);
    expect(isBusinessDay(iso("2025-01-04"))).toBe(false);
    expect(dayOfWeek(epochDayOf(1970, 1, 1))).toBe(4);
  });

  test("addBusinessDays skips weekends and holidays both ways", () => {
    // Fri 2025-04-17 + 1 → Good Friday (18), weekend, Tiradentes Mon 21 → Tue 2025-04-22.
    expect(addBusinessDays(iso("2025-04-17"), 1).toISOString()).toBe("2025-04-22T00:00:00.000Z");
    expect(addBusinessDays(iso("2025-04-22"), -1).toISOString()).toBe("2025-04-17T00:00:00.000Z");
    expect(addBusinessDays(iso("2025-01-01"), 0).toISOString()).toBe("2025-01-02T00:00:00.000Z");
    const start = toEpochDay(iso("2025-01-02"));
    expect(addBusinessEpochDays(addBusinessEpochDays(start, 30), -30)).toBe(start);
  });

  test("reference_datetime must carry a zone", () => {
    expect(parseReferenceDatetime("2025-01-01T00:00:00Z").getTime()).toBe(Date.UTC(2025, 0, 1));
    expect(() => parseReferenceDatetime("2025-01-01T00:00:00")).toThrow(RangeError);
    expect(() => parseReferenceDatetime("2025-13-01T00:00:00Z")).toThrow(RangeError);
  });
});
