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
  /**
   * The values of many ordinals at once, each equal to the single-value function's: one cipher
   * call per Feistel round for all of them instead of one per value and round.
   */
  many: {
    cpf(ordinals: readonly number[], tweak?: string): string[];
    cnpj(ordinals: readonly number[], tweak?: string): string[];
    phone(ordinals: readonly number[], tweak?: string): string[];
    /** `names[i]` is the name of `ordinals[i]`. */
    email(ordinals: readonly number[], names: readonly (string | undefined)[], tweak?: string): string[];
  };
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

function slugOf(name: string): string {
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

/** Names repeat (lists of given names, surnames, company words): their slugs are kept, up to a bound. */
const MAX_SLUGS = 65_536;
const slugs = new Map<string, string>();

function slug(name: string): string {
  let s = slugs.get(name);
  if (s === undefined) {
    s = slugOf(name);
    if (slugs.size >= MAX_SLUGS) slugs.clear();
    slugs.set(name, s);
  }
  return s;
}

/** Enciphers `xs` again where `outside` holds, until it holds nowhere (cycle walking, batched). */
function walkAll(xs: number[], outside: (x: number) => boolean, again: (ys: number[]) => number[]): number[] {
  let pending = xs.flatMap((x, i) => (outside(x) ? [i] : []));
  while (pending.length > 0) {
    const next = again(pending.map((i) => xs[i] as number));
    pending.forEach((i, k) => {
      xs[i] = next[k] as number;
    });
    pending = pending.filter((i) => outside(xs[i] as number));
  }
  return xs;
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

  const cpfOf = (x: number): string => {
    const base = String(x).padStart(9, "0");
    return base + cpfCheckDigits(base);
  };
  const cnpjOf = (x: number): string => {
    const first12 = `${String(x).padStart(8, "0")}0001`;
    return first12 + cnpjCheckDigits(first12);
  };
  const phoneOf = (x: number): string =>
    `+55${BRAZIL_DDDS[Math.floor(x / 100_000_000)] as number}9${String(x % 100_000_000).padStart(8, "0")}`;
  const emailOf = (x: number, name: string | undefined): string =>
    `${name === undefined ? "cliente" : slug(name)}.${x.toString(36).padStart(7, "0")}@${emailDomain}`;
  const isOffPhones = (x: number): boolean => x >= PHONE_DOMAIN;

  // Cycle walking: a CPF is re-enciphered until off the repdigits (the input is never one, so this
  // stays a bijection on the valid bases); a phone until inside [0, PHONE_DOMAIN) of the 10-digit
  // FF1 domain.
  const many: PiiMasker["many"] = {
    cpf(ordinals, tweak) {
      for (const o of ordinals) checkOrdinal(o, CPF_DOMAIN, "cpf");
      const t = tweakOf("cpf", tweak);
      const xs = ff1.encryptInts(ordinals.map(skipRepdigits), 9, t);
      return walkAll(xs, isRepdigitInt, (ys) => ff1.encryptInts(ys, 9, t)).map(cpfOf);
    },
    cnpj(ordinals, tweak) {
      for (const o of ordinals) checkOrdinal(o, CNPJ_DOMAIN, "cnpj");
      return ff1.encryptInts(ordinals, 8, tweakOf("cnpj", tweak)).map(cnpjOf);
    },
    phone(ordinals, tweak) {
      for (const o of ordinals) checkOrdinal(o, PHONE_DOMAIN, "phone");
      const t = tweakOf("phone", tweak);
      const xs = ff1.encryptInts(ordinals, 10, t);
      return walkAll(xs, isOffPhones, (ys) => ff1.encryptInts(ys, 10, t)).map(phoneOf);
    },
    email(ordinals, names, tweak) {
      for (const o of ordinals) checkOrdinal(o, EMAIL_DOMAIN, "email");
      return ff1.encryptInts(ordinals, 10, tweakOf("email", tweak)).map((x, i) => emailOf(x, names[i]));
    },
  };

  return {
    many,
    cpf(ordinal, tweak) {
      checkOrdinal(ordinal, CPF_DOMAIN, "cpf");
      const t = tweakOf("cpf", tweak);
      let x = ff1.encryptInt(skipRepdigits(ordinal), 9, t);
      while (isRepdigitInt(x)) x = ff1.encryptInt(x, 9, t);
      return cpfOf(x);
    },
    cnpj(ordinal, tweak) {
      checkOrdinal(ordinal, CNPJ_DOMAIN, "cnpj");
      return cnpjOf(ff1.encryptInt(ordinal, 8, tweakOf("cnpj", tweak)));
    },
    phone(ordinal, tweak) {
      checkOrdinal(ordinal, PHONE_DOMAIN, "phone");
      const t = tweakOf("phone", tweak);
      let x = ff1.encryptInt(ordinal, 10, t);
      while (isOffPhones(x)) x = ff1.encryptInt(x, 10, t);
      return phoneOf(x);
    },
    email(ordinal, name, tweak) {
      checkOrdinal(ordinal, EMAIL_DOMAIN, "email");
      return emailOf(ff1.encryptInt(ordinal, 10, tweakOf("email", tweak)), name);
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
