import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  CPF_DOMAIN,
  createPiiMasker,
  FIRST_NAMES,
  isValidCnpj,
  isValidCpf,
  isValidPhoneBr,
  PHONE_DOMAIN,
} from "../../src/pii/index.ts";

const keyOf = (label: string) => new Uint8Array(createHash("sha256").update(label).digest());
const masker = createPiiMasker({ key: keyOf("tenant-a/v1") });

describe("PII masker", () => {
  test("zero CPF collisions over 1,000,000 ordinals of one tenant, all valid", () => {
    const seen = new Set<string>();
    let invalid = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const cpf = masker.cpf(i);
      if (!isValidCpf(cpf)) invalid++;
      seen.add(cpf);
    }
    expect(seen.size).toBe(1_000_000);
    expect(invalid).toBe(0);
  }, 30_000);

  test("CPF at the edges of its domain is valid; beyond it refuses", () => {
    for (const i of [0, 111_111_110, CPF_DOMAIN - 1]) expect(isValidCpf(masker.cpf(i))).toBe(true);
    expect(() => masker.cpf(CPF_DOMAIN)).toThrow(RangeError);
    expect(() => masker.cpf(-1)).toThrow(RangeError);
  });

  test("CNPJ, phone and e-mail are unique on 50,000 ordinals and match their formats", () => {
    const cnpjs = new Set<string>();
    const phones = new Set<string>();
    const emails = new Set<string>();
    let bad = 0;
    for (let i = 0; i < 50_000; i++) {
      const cnpj = masker.cnpj(i);
      const phone = masker.phone(i);
      const email = masker.email(i, "Jo");
      if (!/^\d{8}0001\d{2}$/.test(cnpj) || !isValidCnpj(cnpj)) bad++;
      if (!/^\+55\d{2}9\d{8}$/.test(phone) || !isValidPhoneBr(phone)) bad++;
      if (!/^jo\.[0-9a-z]{7}@example\.com$/.test(email)) bad++;
      cnpjs.add(cnpj);
      phones.add(phone);
      emails.add(email);
    }
    expect(bad).toBe(0);
    expect(cnpjs.size).toBe(50_000);
    expect(phones.size).toBe(50_000);
    expect(emails.size).toBe(50_000);
    expect(isValidPhoneBr(masker.phone(PHONE_DOMAIN - 1))).toBe(true);
  });

  test("e-mail slugs drop accents and punctuation; names come from the lists", () => {
    expect(masker.email(7, "João da Conceição")).toMatch(/^joao\.da\.conceicao\.[0-9a-z]{7}@example\.com$/);
    expect(masker.email(7)).toMatch(/^cliente\.[0-9a-z]{7}@example\.com$/);
    expect(createPiiMasker({ key: keyOf("x"), emailDomain: "semente.test" }).email(1)).toEndWith("@semente.test");
    const name = masker.fullName(12);
    expect(FIRST_NAMES).toContain(name.split(" ")[0] as string);
    expect(name.split(" ").length).toBeGreaterThanOrEqual(2);
  });

  test("same key ⇒ same values; different key (tenant or version) ⇒ different values", () => {
    const same = createPiiMasker({ key: keyOf("tenant-a/v1") });
    const otherTenant = createPiiMasker({ key: keyOf("tenant-b/v1") });
    const otherVersion = createPiiMasker({ key: keyOf("tenant-a/v2") });
    const cpf = (m: Masker, i: number) => m.cpf(i);
    const differSame =
      differing(same, masker, [cpf, (m, i) => m.phone(i)]) +
      differing(same, masker, [(m, i) => m.fullName(i), (m, i) => m.email(i)]);
    const differTenant = differing(otherTenant, masker, [cpf]);
    const differVersion = differing(otherVersion, masker, [cpf]);
    expect(differSame).toBe(0);
    expect(differTenant).toBe(1000);
    expect(differVersion).toBe(1000);
  });

  test("a tweak selects another permutation; names vary across ordinals", () => {
    expect(masker.cpf(5, "consultants")).not.toBe(masker.cpf(5));
    expect(masker.cpf(5, "consultants")).toBe(masker.cpf(5, "consultants"));
    const names = new Set<string>();
    for (let i = 0; i < 200; i++) names.add(masker.fullName(i));
    expect(names.size).toBeGreaterThan(150);
  });

  test("refuses keys that are not 32 bytes", () => {
    expect(() => createPiiMasker({ key: new Uint8Array(16) })).toThrow(RangeError);
  });

  test("many.* equal the single-value functions, cycle walking included, and refuse what they refuse", () => {
    const ordinals = [0, 1, 2, 99_999_999, ...Array.from({ length: 3000 }, (_, i) => i * 7919 + 13)];
    const names = ordinals.map((o) => (o % 5 === 0 ? undefined : masker.fullName(o)));
    for (const tweak of [undefined, "customers"]) {
      expect(masker.many.cpf(ordinals, tweak)).toEqual(ordinals.map((o) => masker.cpf(o, tweak)));
      expect(masker.many.cnpj(ordinals, tweak)).toEqual(ordinals.map((o) => masker.cnpj(o, tweak)));
      expect(masker.many.phone(ordinals, tweak)).toEqual(ordinals.map((o) => masker.phone(o, tweak)));
      expect(masker.many.email(ordinals, names, tweak)).toEqual(
        ordinals.map((o, i) => masker.email(o, names[i], tweak)),
      );
    }
    const cpfEdges = [111_111_110, 111_111_111, CPF_DOMAIN - 1];
    expect(masker.many.cpf(cpfEdges)).toEqual(cpfEdges.map((o) => masker.cpf(o)));
    expect(masker.many.cpf([])).toEqual([]);
    expect(() => masker.many.cpf([1, CPF_DOMAIN])).toThrow(RangeError);
    expect(() => masker.many.phone([PHONE_DOMAIN])).toThrow(RangeError);
  });
});

type Masker = ReturnType<typeof createPiiMasker>;

/** How many of the ordinals 0…999 get a different value from `a` and `b` for at least one of `fields`. */
function differing(a: Masker, b: Masker, fields: ((m: Masker, i: number) => string)[]): number {
  let n = 0;
  for (let i = 0; i < 1000; i++) if (fields.some((f) => f(a, i) !== f(b, i))) n++;
  return n;
}
