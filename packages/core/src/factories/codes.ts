import { toIsoDate } from "../finance/index.ts";

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

/** Two-digit zero-padded string of 0–99, from a table (hot paths). */
export function pad2(n: number): string {
  return PAD2[n] as string;
}

/**
 * Check digit (*dígito verificador*) of an account number, mod 11: weights 2, 3, …, 9, 2, 3, …
 * from the rightmost digit; dv = 11 − (Σ mod 11), where 10 is written `X` and 11 is `0` (the
 * rule Banco do Brasil publishes for its account numbers).
 */
export function accountCheckDigit(number: string): string {
  let sum = 0;
  let weight = 2;
  for (let i = number.length - 1; i >= 0; i--) {
    sum += (number.charCodeAt(i) - 48) * weight;
    weight = weight === 9 ? 2 : weight + 1;
  }
  const dv = 11 - (sum % 11);
  if (dv === 10) return "X";
  if (dv === 11) return "0";
  return String(dv);
}

/**
 * The 4-digit code of branch (*agência*) index b. 97 is coprime with 9,999, so indices below
 * 9,999 map to distinct codes in 0001–9999, scattered rather than sequential.
 */
export function branchCode(b: number): string {
  return String(1 + ((b * 97) % 9999)).padStart(4, "0");
}

/** `YYYY-MM-DD` of an epoch day (pure arithmetic, no Date). */
export function isoDay(day: number): string {
  return toIsoDate(day);
}

/** `YYYY-MM-DDTHH:MM:SS.000Z` of an epoch day plus seconds into the day (0–86,399). */
export function isoInstant(day: number, secondOfDay: number): string {
  const h = Math.floor(secondOfDay / 3600);
  const m = Math.floor((secondOfDay % 3600) / 60);
  const s = secondOfDay % 60;
  return `${toIsoDate(day)}T${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.000Z`;
}

/** Lower-case ASCII slug of a name, dots between words: "João da Silva" → "joao.da.silva". */
export function slugName(name: string): string {
  return name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ".")
    .replace(/^\.+|\.+$/g, "");
}

/** Title case of a tenant slug: "banco-alfa" → "Banco Alfa". */
export function titleOfSlug(slug: string): string {
  return slug
    .split("-")
    .filter((w) => w !== "")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(" ");
}
