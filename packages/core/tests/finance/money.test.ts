import { describe, expect, test } from "bun:test";
import { formatMoney, parseMoney } from "../../src/finance/index.ts";

describe("money", () => {
  test("parseMoney reads numeric(18,2) strings into cents", () => {
    expect(parseMoney("1234.56")).toBe(123456);
    expect(parseMoney("1234.5")).toBe(123450);
    expect(parseMoney("1234")).toBe(123400);
    expect(parseMoney("0.05")).toBe(5);
    expect(parseMoney("-10.01")).toBe(-1001);
  });

  test("formatMoney writes cents as numeric(18,2) strings", () => {
    expect(formatMoney(123456)).toBe("1234.56");
    expect(formatMoney(5)).toBe("0.05");
    expect(formatMoney(0)).toBe("0.00");
    expect(formatMoney(-1001)).toBe("-10.01");
    expect(formatMoney(parseMoney("90071992547409.91"))).toBe("90071992547409.91");
  });

  test("refuses floats, extra places and amounts past 2^53 cents", () => {
    expect(() => parseMoney("1.234")).toThrow(/decimal string/);
    expect(() => parseMoney("1e3")).toThrow(/decimal string/);
    expect(() => parseMoney("99999999999999.99")).toThrow(/safe integer/);
    expect(() => formatMoney(0.5)).toThrow(/safe integer/);
  });
});
