import { describe, expect, test } from "bun:test";
import { isSementeError } from "@semente/core/errors";
import { assertNoPiiOrSecrets, classifyString, findPiiOrSecrets } from "../../src/evidence/index.ts";
import { cnpjCheckDigits, cpfCheckDigits } from "@semente/core/pii";

const CPF = `123456789${cpfCheckDigits("123456789")}`;
const CNPJ = `112223330001${cnpjCheckDigits("112223330001")}`;
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0ZXIifQ.c2lnbmF0dXJlLWJ5dGVz";

describe("evidence scan", () => {
  test("scan - catches each kind of PII and secret", () => {
    const cases: [string, string][] = [
      [CPF, "cpf"],
      [`${CPF.slice(0, 3)}.${CPF.slice(3, 6)}.${CPF.slice(6, 9)}-${CPF.slice(9)}`, "cpf"],
      [CNPJ, "cnpj"],
      [`${CNPJ.slice(0, 2)}.${CNPJ.slice(2, 5)}.${CNPJ.slice(5, 8)}/${CNPJ.slice(8, 12)}-${CNPJ.slice(12)}`, "cnpj"],
      ["contact maria.silva@example.com.br now", "email"],
      ["+55 11 91234-5678", "phone"],
      ["+5511912345678", "phone"],
      [JWT, "jwt"],
      ["vault:v1:8SDd3WHDOjf7mq69CyCqYjBXAiQQAVZRkFM13ok481zoCmHnSeDX9vyf7w==", "vault_ciphertext"],
      ["hvs.CAESIJlWh1B2Kx3fYt8oQnEmz0aB", "vault_token"],
      ["-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----", "private_key"],
      ["-----BEGIN RSA PRIVATE KEY-----", "private_key"],
      ["Authorization: Bearer abcdefgh12345678", "bearer_token"],
    ];
    for (const [text, kind] of cases)
      expect({ text, kinds: classifyString(text) }).toEqual({ text, kinds: [kind] as never });
  });

  test("scan - CPF/CNPJ shapes with wrong check digits, digests and UUIDs are not PII", () => {
    const wrongCpf = `${CPF.slice(0, 10)}${(Number(CPF[10]) + 1) % 10}`;
    const clean = [
      wrongCpf,
      "11111111111",
      `${CNPJ.slice(0, 13)}${(Number(CNPJ[13]) + 1) % 10}`,
      `sha256:${"0123456789".repeat(6)}abcd`,
      `a${CPF}b`,
      "0b6f3c1e-8d2a-4f5b-9c7d-1e2f3a4b5c6d",
      "2025-01-01T00:00:00.000Z",
      "svc-seed-runner",
      "rows written: 12345",
    ];
    for (const text of clean) expect({ text, kinds: classifyString(text) }).toEqual({ text, kinds: [] });
  });

  test("scan - findPiiOrSecrets walks nested values and keys and reports pointers, not values", () => {
    const findings = findPiiOrSecrets({
      run: { principal: "ana@example.com", ok: "fine" },
      list: ["x", { token: JWT }],
      [CPF]: 1,
      n: 12345678909,
    });
    expect(findings).toEqual([
      { pointer: "/run/principal", kind: "email" },
      { pointer: "/list/1/token", kind: "jwt" },
      { pointer: `/${CPF}`, kind: "cpf" },
    ]);
  });

  test("scan - assertNoPiiOrSecrets throws VALIDATION_FAILED without echoing the value", () => {
    let caught: unknown;
    try {
      assertNoPiiOrSecrets({ labels: { tenant: "acme" }, note: `customer ${CPF}` });
    } catch (error) {
      caught = error;
    }
    expect(isSementeError(caught)).toBe(true);
    if (!isSementeError(caught)) return;
    expect(caught.code).toBe("VALIDATION_FAILED");
    expect(caught.errors).toEqual([{ pointer: "/note", message: "looks like a cpf" }]);
    expect(caught.message).not.toContain(CPF);
    expect(() => assertNoPiiOrSecrets({ labels: { tenant: "acme" }, rows: [1, 2] })).not.toThrow();
  });
});
