import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isSementeError } from "../../src/errors/index.ts";
import {
  assertWithinWindow,
  isValidUtcDatetime,
  isWithinWindow,
  parseHhmm,
  parseTtlSeconds,
} from "../../src/manifest/index.ts";

const at = (hhmm: string) => new Date(`2025-03-10T${hhmm}:00Z`);

describe("isWithinWindow", () => {
  test("same-day window is [start, end)", () => {
    const w = { start_utc: "01:00", end_utc: "05:00" };
    expect(isWithinWindow(w, at("00:59"))).toBe(false);
    expect(isWithinWindow(w, at("01:00"))).toBe(true);
    expect(isWithinWindow(w, at("04:59"))).toBe(true);
    expect(isWithinWindow(w, at("05:00"))).toBe(false);
  });

  test("end < start crosses midnight", () => {
    const w = { start_utc: "22:00", end_utc: "06:00" };
    expect(isWithinWindow(w, at("21:59"))).toBe(false);
    expect(isWithinWindow(w, at("22:00"))).toBe(true);
    expect(isWithinWindow(w, at("23:59"))).toBe(true);
    expect(isWithinWindow(w, at("00:00"))).toBe(true);
    expect(isWithinWindow(w, at("05:59"))).toBe(true);
    expect(isWithinWindow(w, at("06:00"))).toBe(false);
    expect(isWithinWindow(w, at("12:00"))).toBe(false);
  });

  test("00:00-23:59 is always open, including the last minute", () => {
    const w = { start_utc: "00:00", end_utc: "23:59" };
    for (const t of ["00:00", "12:34", "23:58", "23:59"]) expect(isWithinWindow(w, at(t))).toBe(true);
  });

  test("uses UTC regardless of the instant's offset notation", () => {
    const w = { start_utc: "22:00", end_utc: "06:00" };
    expect(isWithinWindow(w, new Date("2025-03-10T20:30:00-03:00"))).toBe(true);
    expect(isWithinWindow(w, new Date("2025-03-10T18:30:00-03:00"))).toBe(false);
  });

  test("an invalid or empty window is never open", () => {
    expect(isWithinWindow({ start_utc: "02:00", end_utc: "02:00" }, at("02:00"))).toBe(false);
    expect(isWithinWindow({ start_utc: "7:00", end_utc: "09:00" }, at("08:00"))).toBe(false);
  });
});

describe("time parsing", () => {
  test("parseHhmm accepts 00:00-23:59 only", () => {
    expect(parseHhmm("00:00")).toBe(0);
    expect(parseHhmm("23:59")).toBe(1439);
    expect(parseHhmm("24:00")).toBeUndefined();
    expect(parseHhmm("7:00")).toBeUndefined();
    expect(parseHhmm("07:60")).toBeUndefined();
  });

  test("parseTtlSeconds reads weeks, days and hours", () => {
    expect(parseTtlSeconds("P30D")).toBe(30 * 86_400);
    expect(parseTtlSeconds("P1W")).toBe(7 * 86_400);
    expect(parseTtlSeconds("PT12H")).toBe(12 * 3_600);
    expect(parseTtlSeconds("P1DT6H")).toBe(30 * 3_600);
    expect(parseTtlSeconds("P")).toBeUndefined();
    expect(parseTtlSeconds("P1M")).toBeUndefined();
    expect(parseTtlSeconds("30d")).toBeUndefined();
  });

  test("isValidUtcDatetime checks format and calendar", () => {
    expect(isValidUtcDatetime("2024-02-29T23:59:59Z")).toBe(true);
    expect(isValidUtcDatetime("2025-01-01T00:00:00.123Z")).toBe(true);
    expect(isValidUtcDatetime("2025-02-29T00:00:00Z")).toBe(false);
    expect(isValidUtcDatetime("1900-02-29T00:00:00Z")).toBe(false);
    expect(isValidUtcDatetime("2025-04-31T00:00:00Z")).toBe(false);
    expect(isValidUtcDatetime("2025-01-01T24:00:00Z")).toBe(false);
    expect(isValidUtcDatetime("2025-01-01T00:00:00+00:00")).toBe(false);
    expect(isValidUtcDatetime("2025-13-01T00:00:00Z")).toBe(false);
  });
});

describe("assertWithinWindow", () => {
  test("throws OUTSIDE_WINDOW with the window outside it, nothing inside", () => {
    const w = { start_utc: "22:00", end_utc: "04:00" };
    expect(() => assertWithinWindow(w, at("23:00"))).not.toThrow();
    try {
      assertWithinWindow(w, at("12:00"));
      throw new Error("no refusal");
    } catch (error) {
      expect(isSementeError(error) && error.code).toBe("OUTSIDE_WINDOW");
      expect(isSementeError(error) && error.status).toBe(409);
      expect(isSementeError(error) && error.extensions).toEqual({ window: w });
    }
  });

  test("one definition: no service source throws OUTSIDE_WINDOW itself", () => {
    const repo = join(import.meta.dir, "../../../..");
    const files = new Bun.Glob("{services,packages}/*/src/**/*.ts").scanSync({ cwd: repo });
    const offenders = [...files].filter(
      (f) =>
        f !== "packages/core/src/manifest/time.ts" &&
        /new SementeError\(\s*"OUTSIDE_WINDOW"/.test(readFileSync(join(repo, f), "utf8")),
    );
    expect(offenders).toEqual([]);
  });
});
