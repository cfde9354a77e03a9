import { SementeError } from "@semente/core/errors";
import { escapePointer } from "@semente/core/manifest";
import { isValidCnpj, isValidCpf } from "@semente/core/pii";

/** What a suspicious value looks like. */
export const SuspectKind = {
  cpf: "cpf",
  cnpj: "cnpj",
  email: "email",
  phone: "phone",
  jwt: "jwt",
  vaultCiphertext: "vault_ciphertext",
  vaultToken: "vault_token",
  privateKey: "private_key",
  bearerToken: "bearer_token",
} as const;
export type SuspectKind = (typeof SuspectKind)[keyof typeof SuspectKind];

/** One suspicious string: where it is and what it looks like (never the value itself). */
export interface Finding {
  /** JSON Pointer of the value (or of the member whose key is suspicious). */
  pointer: string;
  kind: SuspectKind;
}

// Digit runs must stand alone: a CPF-shaped run inside a hex digest or UUID is not a CPF.
const EDGE_L = "(?<![0-9A-Za-z])";
const EDGE_R = "(?![0-9A-Za-z])";
const CPF = new RegExp(`${EDGE_L}\\d{3}\\.?\\d{3}\\.?\\d{3}-?\\d{2}${EDGE_R}`, "g");
const CNPJ = new RegExp(`${EDGE_L}\\d{2}\\.?\\d{3}\\.?\\d{3}/?\\d{4}-?\\d{2}${EDGE_R}`, "g");

const PATTERNS: { kind: SuspectKind; re: RegExp }[] = [
  { kind: "email", re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/ },
  { kind: "phone", re: /\+55[\s.-]?\(?\d{2}\)?[\s.-]?9?\d{4}[\s.-]?\d{4}(?!\d)/ },
  { kind: "jwt", re: /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/ },
  { kind: "vault_ciphertext", re: /vault:v\d+:[A-Za-z0-9+/=_-]+/ },
  { kind: "vault_token", re: /\b(?:hv[sbr]|s)\.[A-Za-z0-9_-]{24,}/ },
  { kind: "private_key", re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/ },
  { kind: "bearer_token", re: /\bbearer\s+[A-Za-z0-9._~+/-]{8,}=*/i },
];

/** The kinds of PII or secret `text` looks like (empty when clean). */
export function classifyString(text: string): SuspectKind[] {
  const kinds: SuspectKind[] = [];
  for (const m of text.matchAll(CPF)) {
    if (isValidCpf(m[0].replace(/\D/g, ""))) {
      kinds.push("cpf");
      break;
    }
  }
  for (const m of text.matchAll(CNPJ)) {
    if (isValidCnpj(m[0].replace(/\D/g, ""))) {
      kinds.push("cnpj");
      break;
    }
  }
  for (const { kind, re } of PATTERNS) if (re.test(text)) kinds.push(kind);
  return kinds;
}

/** Every string value and object key of `value` that looks like PII or a secret. */
export function findPiiOrSecrets(value: unknown, pointer = ""): Finding[] {
  if (typeof value === "string") return classifyString(value).map((kind) => ({ pointer, kind }));
  if (Array.isArray(value)) return value.flatMap((item, i) => findPiiOrSecrets(item, `${pointer}/${i}`));
  if (value === null || typeof value !== "object") return [];
  const out: Finding[] = [];
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    const at = `${pointer}/${escapePointer(key)}`;
    for (const kind of classifyString(key)) out.push({ pointer: at, kind });
    out.push(...findPiiOrSecrets(member, at));
  }
  return out;
}

/**
 * Throws `VALIDATION_FAILED` listing each pointer and kind when any string of `value` looks like
 * a CPF or CNPJ with valid check digits, an e-mail, a +55 phone, a JWT, a Vault ciphertext or
 * token, a PEM private key or a bearer token (R7.3). The values themselves are never echoed.
 */
export function assertNoPiiOrSecrets(value: unknown, what = "evidence report"): void {
  const findings = findPiiOrSecrets(value);
  if (findings.length === 0) return;
  throw new SementeError(
    "VALIDATION_FAILED",
    `${what} contains ${findings.length} value(s) that look like PII or secrets (${[...new Set(findings.map((f) => f.kind))].join(", ")})`,
    { errors: findings.map((f) => ({ pointer: f.pointer, message: `looks like a ${f.kind.replaceAll("_", " ")}` })) },
  );
}
