import { describe, expect, test } from "bun:test";
import { BRAZIL_DDDS, isValidCnpj, isValidCpf, isValidPhoneBr } from "../../src/pii/index.ts";

describe("Brazilian validators", () => {
  test("CPF: known valid numbers pass, altered check digits and repdigits fail", () => {
    // 529.982.247-25 is the Receita Federal's worked example; 111.444.777-35 a common test value.
    expect(isValidCpf("52998224725")).toBe(true);
    expect(isValidCpf("11144477735")).toBe(true);
    expect(isValidCpf("52998224726")).toBe(false);
    expect(isValidCpf("11111111111")).toBe(false);
    expect(isValidCpf("529.982.247-25")).toBe(false);
  });

  test("CNPJ: known valid numbers pass, altered ones and repdigits fail", () => {
    // 11.222.333/0001-81 is the usual worked example of the mod-11 rule.
    expect(isValidCnpj("11222333000181")).toBe(true);
    expect(isValidCnpj("11222333000182")).toBe(false);
    expect(isValidCnpj("00000000000000")).toBe(false);
  });

  test("phone: E.164 with a DDD in use, mobile 9 + 8 digits or landline", () => {
    expect(BRAZIL_DDDS).toHaveLength(67);
    expect(new Set(BRAZIL_DDDS).size).toBe(67);
    expect(isValidPhoneBr("+5511987654321")).toBe(true);
    expect(isValidPhoneBr("+551133334444")).toBe(true);
    expect(isValidPhoneBr("+5520987654321")).toBe(false);
    expect(isValidPhoneBr("+551198765432")).toBe(false);
    expect(isValidPhoneBr("11987654321")).toBe(false);
  });
});
