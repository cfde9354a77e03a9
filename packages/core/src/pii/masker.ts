import { createHmac } from "node:crypto";
import { createStream } from "../determinism/index.ts";
import { BRAZIL_DDDS, cnpjCheckDigits, cpfCheckDigits } from "./check-digits.ts";
import { createFf1 } from "./ff1.ts";
import { FIRST_NAMES, LAST_NAMES } from "./names.ts";

/** Options of {@link createPiiMasker}. */
export interface PiiMaskerOptions {
  /**
   * 32 bytes of FPE key material for one (environment, tenant, key version), from
   * `KeyProvider.deriveFpeKey` — never a constant, never PII.
   */
  key: Uint8Array;
  /**
   * Domain of generated e-mail addresses; reserved by RFC 2606 so no mail can ever reach anyone.
   * @default "example.com"
   */
  emailDomain?: string;
}

/**
 * Deterministic, keyed, format-preserving synthetic PII. Every function takes the row ORDINAL
 * (never a real value) and an optional tweak (e.g. the entity name): the same (key, tweak,
 * ordinal) always gives the same value, and for one (key, tweak) distinct ordinals inside the
 * field's domain always give distinct values, because each value comes from an FF1 permutation
 * of the ordinal. Values of different tweaks may coincide: to keep a field unique across
 * entities, use one tweak and disjoint ordinal ranges.
 */
export interface PiiMasker {
  /** 11 digits, valid check digits. Domain: ordinals in [0, {@link CPF_DOMAIN}). */
  cpf(ordinal: number, tweak?: string): string;
  /** 14 digits: 8-digit root, branch `0001`, check digits. Domain: [0, {@link CNPJ_DOMAIN}). */
  cnpj(ordinal: number, tweak?: string): string;
  /** E.164 mobile `+55 DDD 9XXXXXXXX`. Domain: [0, {@link PHONE_DOMAIN}). */
  phone(ordinal: number, tweak?: string): string;
  /** `<name-slug>.<token>@<emailDomain>`, unique by its permuted token. Domain: [0, 10^10). */
  email(ordinal: number, name?: string, tweak?: string): string;
  /** Given name and two surnames from embedded lists (not unique). */
  fullName(ordinal: number, tweak?: string): string;
}

/** CPF base numbers exclude the ten all-equal ones (000000000, 111111111, …), always invalid. */
export const CPF_DOMAIN = 1_000_000_000 - 10;
/** Eight-digit CNPJ roots. */
export const CNPJ_DOMAIN = 100_000_000;
/** 67 DDDs × 10^8 mobile subscriber numbers. */
export const PHONE_DOMAIN = BRAZIL_DDDS.length * 100_000_000;
/** E-mail tokens are a permutation of 10 digits. */
export const EMAIL_DOMAIN = 10_000_000_000;

function checkOrdinal(ordinal: number, domain: number, field: string): void {
  if (!Number.isSafeInteger(ordinal) || ordinal < 0 || ordinal >= domain) {
    throw new RangeError(`${field} ordinal outside its domain [0, ${domain})`);
  }
}

/** Spreads ordinals over the non-repdigit CPF bases: skips 000000000, 111111111, … in order. */
function skipRepdigits(k: number): number {
  let x = k;
  for (let d = 0; d <= 9; d++) if (x >= d * 111_111_111) x++;
  return x;
}

function isRepdigitInt(x: number): boolean {
  return x % 111_111_111 === 0;
}

function slug(name: string): string {
  const s = name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ".")
    .replace(/^\.+|\.+$/g, "")
    .slice(0, 40)
    .replace(/\.+$/, "");
  return s === "" ? "cliente" : s;
}

/** Builds a masker; the AES key schedule and the name stream key are set up once, here. */
export function createPiiMasker(options: PiiMaskerOptions): PiiMasker {
  if (options.key.length !== 32) throw new RangeError("PII key must be 32 bytes");
  const ff1 = createFf1(options.key, 10);
  const emailDomain = options.emailDomain ?? "example.com";
  const names = createStream(createHmac("sha256", options.key).update("semente/pii/names/v1").digest("hex"));
  const tweaks = new Map<string, Uint8Array>();
  const tweakOf = (field: string, tweak: string | undefined): Uint8Array => {
    const id = `semente/pii/${field}/${tweak ?? ""}`;
    let bytes = tweaks.get(id);
    if (bytes === undefined) {
      bytes = new TextEncoder().encode(id);
      tweaks.set(id, bytes);
    }
    return bytes;
  };

  return {
    cpf(ordinal, tweak) {
      checkOrdinal(ordinal, CPF_DOMAIN, "cpf");
      const t = tweakOf("cpf", tweak);
      // Cycle walking: re-encipher until off the repdigits; the input is never a repdigit, so this
      // stays a bijection on the valid bases.
      let x = ff1.encryptInt(skipRepdigits(ordinal), 9, t);
      while (isRepdigitInt(x)) x = ff1.encryptInt(x, 9, t);
      const base = String(x).padStart(9, "0");
      return base + cpfCheckDigits(base);
    },
    cnpj(ordinal, tweak) {
      checkOrdinal(ordinal, CNPJ_DOMAIN, "cnpj");
      const root = String(ff1.encryptInt(ordinal, 8, tweakOf("cnpj", tweak))).padStart(8, "0");
      const first12 = `${root}0001`;
      return first12 + cnpjCheckDigits(first12);
    },
    phone(ordinal, tweak) {
      checkOrdinal(ordinal, PHONE_DOMAIN, "phone");
      const t = tweakOf("phone", tweak);
      // Cycle walking keeps a bijection on [0, PHONE_DOMAIN) inside the 10-digit FF1 domain.
      let x = ff1.encryptInt(ordinal, 10, t);
      while (x >= PHONE_DOMAIN) x = ff1.encryptInt(x, 10, t);
      const ddd = BRAZIL_DDDS[Math.floor(x / 100_000_000)] as number;
      return `+55${ddd}9${String(x % 100_000_000).padStart(8, "0")}`;
    },
    email(ordinal, name, tweak) {
      checkOrdinal(ordinal, EMAIL_DOMAIN, "email");
      const token = ff1.encryptInt(ordinal, 10, tweakOf("email", tweak)).toString(36).padStart(7, "0");
      return `${name === undefined ? "cliente" : slug(name)}.${token}@${emailDomain}`;
    },
    fullName(ordinal, tweak) {
      const salt = tweak === undefined ? 0 : names.u32(0, `tweak:${tweak}`);
      const first = names.pick(ordinal, 1 ^ salt, FIRST_NAMES);
      const last1 = names.pick(ordinal, 2 ^ salt, LAST_NAMES);
      const last2 = names.pick(ordinal, 3 ^ salt, LAST_NAMES);
      return last1 === last2 ? `${first} ${last1}` : `${first} ${last1} ${last2}`;
    },
  };
}
