/**
 * Brazilian document and phone rules. CPF and CNPJ check digits use the Receita Federal mod-11
 * rule: each check digit is 11 − (Σ digit × weight mod 11), or 0 when that remainder is below 2.
 */

const CNPJ_W1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

/**
 * The 67 area codes (DDD) in use in Brazil (Anatel's national numbering plan).
 */
export const BRAZIL_DDDS: readonly number[] = [
  11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46, 47, 48,
  49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89,
  91, 92, 93, 94, 95, 96, 97, 98, 99,
];
const DDD_SET = new Set(BRAZIL_DDDS);

function mod11(sum: number): number {
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

/** The two check digits of a CPF's 9 base digits (a string of 9 digits), as a 2-digit string. */
export function cpfCheckDigits(base: string): string {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < 9; i++) {
    const d = base.charCodeAt(i) - 48;
    s1 += d * (10 - i);
    s2 += d * (11 - i);
  }
  const d1 = mod11(s1);
  const d2 = mod11(s2 + d1 * 2);
  return `${d1}${d2}`;
}

/** The two check digits of a CNPJ's 12 first digits (root + branch), as a 2-digit string. */
export function cnpjCheckDigits(first12: string): string {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < 12; i++) {
    const d = first12.charCodeAt(i) - 48;
    s1 += d * (CNPJ_W1[i] as number);
    s2 += d * (CNPJ_W2[i] as number);
  }
  const d1 = mod11(s1);
  const d2 = mod11(s2 + d1 * (CNPJ_W2[12] as number));
  return `${d1}${d2}`;
}

function isRepdigit(s: string): boolean {
  for (let i = 1; i < s.length; i++) if (s[i] !== s[0]) return false;
  return true;
}

/** A CPF as 11 digits (no punctuation) with valid check digits, not all digits equal. */
export function isValidCpf(value: string): boolean {
  if (!/^\d{11}$/.test(value) || isRepdigit(value)) return false;
  return cpfCheckDigits(value.slice(0, 9)) === value.slice(9);
}

/** A CNPJ as 14 digits (no punctuation) with valid check digits, not all digits equal. */
export function isValidCnpj(value: string): boolean {
  if (!/^\d{14}$/.test(value) || isRepdigit(value)) return false;
  return cnpjCheckDigits(value.slice(0, 12)) === value.slice(12);
}

/**
 * A Brazilian phone in E.164: `+55`, a DDD in use, then a mobile `9XXXXXXXX` or a landline
 * `[2-5]XXXXXXX`.
 */
export function isValidPhoneBr(value: string): boolean {
  const m = /^\+55(\d{2})(9\d{8}|[2-5]\d{7})$/.exec(value);
  return m !== null && DDD_SET.has(Number(m[1]));
}
