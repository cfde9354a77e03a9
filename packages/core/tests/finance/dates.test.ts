import { describe, expect, test } from "bun:test";
import { addMonths, daysBetween, toEpochDay, toIsoDate } from "../../src/finance/index.ts";

describe("dates", () => {
  test("epoch days match the UTC calendar", () => {
    expect(toEpochDay("1970-01-01")).toBe(0);
    expect(toEpochDay("2000-03-01")).toBe(11017);
    expect(toEpochDay("2025-01-01T00:00:00Z")).toBe(20089);
    expect(toIsoDate(20089)).toBe("2025-01-01");
    expect(toIsoDate(-1)).toBe("1969-12-31");
    // Cross-check against the platform calendar at fixed instants (never the clock).
    for (const iso of ["1999-12-31", "2024-02-29", "2100-03-01", "2025-07-16"]) {
      expect(toEpochDay(iso)).toBe(
        Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8))) / 86_400_000,
      );
    }
  });

  test("daysBetween counts calendar days", () => {
    expect(daysBetween("2025-01-01", "2026-01-01")).toBe(365);
    expect(daysBetween("2024-01-01", "2025-01-01")).toBe(366);
    expect(daysBetween("2025-03-01", "2025-02-01")).toBe(-28);
  });

  test("addMonths clamps to the month end without drifting", () => {
    expect(toIsoDate(addMonths("2025-01-31", 1))).toBe("2025-02-28");
    expect(toIsoDate(addMonths("2024-01-31", 1))).toBe("2024-02-29");
    expect(toIsoDate(addMonths("2025-01-31", 2))).toBe("2025-03-31");
    expect(toIsoDate(addMonths("2025-11-15", 3))).toBe("2026-02-15");
    expect(toIsoDate(addMonths("2025-03-31", -1))).toBe("2025-02-28");
  });

  test("refuses impossible dates", () => {
    expect(() => toEpochDay("2025-02-29")).toThrow(/ISO date/);
    expect(() => toEpochDay("2025-13-01")).toThrow(/ISO date/);
    expect(() => toEpochDay("01/02/2025")).toThrow(/ISO date/);
    expect(() => toEpochDay(1.5)).toThrow(/epoch day/);
  });
});
