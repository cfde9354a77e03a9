import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { applyDotenv, inCi, type Specs } from "../config/index.ts";
import { SementeError } from "@semente/core/errors";
import { assertSecretStrength } from "./jwt.ts";
import type { AuthKeys } from "./types.ts";

/** Options of `resolveAuthKeys`. */
export interface ResolveAuthKeysOptions {
  /** Variables to read. @default process.env */
  env?: Record<string, string | undefined>;
  /** Unversioned file holding the isolated-dev secret. @default ".env.local" */
  devFile?: string;
  /** Source of random bytes for a new dev secret. @default crypto.getRandomValues */
  randomBytes?: (n: number) => Uint8Array;
}

/** Isolated dev: `SEMENTE_ENV` is `dev` (its default) and the process is not running in CI. */
export function isIsolatedDev(env: Record<string, string | undefined> = process.env): boolean {
  const deployment = env.SEMENTE_ENV === undefined || env.SEMENTE_ENV === "" ? "dev" : env.SEMENTE_ENV;
  return deployment === "dev" && !inCi(env);
}

/**
 * Finds the token keys: `GATEWAY_JWT_PUBLIC_KEY` (EdDSA, PEM) or `GATEWAY_JWT_SECRET` (HS256), plus
 * `GATEWAY_JWT_ISSUER`/`GATEWAY_JWT_AUDIENCE`. Without either, only an isolated dev machine may fall
 * back to `GATEWAY_JWT_SECRET` in `.env.local`, written there with a fresh random value on first use so
 * the gateway and `semente token` agree; anywhere else this fails closed with DEV_KEY_FORBIDDEN.
 */
export function resolveAuthKeys(options: ResolveAuthKeysOptions = {}): AuthKeys {
  const env = options.env ?? process.env;
  const base = { issuer: env.GATEWAY_JWT_ISSUER || "semente", audience: env.GATEWAY_JWT_AUDIENCE || "semente-gateway" };
  const pem = env.GATEWAY_JWT_PUBLIC_KEY;
  let secret = env.GATEWAY_JWT_SECRET;
  if ((pem === undefined || pem === "") && (secret === undefined || secret === "")) {
    if (!isIsolatedDev(env)) {
      throw new SementeError(
        "DEV_KEY_FORBIDDEN",
        "GATEWAY_JWT_SECRET or GATEWAY_JWT_PUBLIC_KEY is required outside an isolated dev environment",
      );
    }
    secret = devSecret(options.devFile ?? ".env.local", options.randomBytes);
  }
  const out: AuthKeys = { ...base };
  if (secret !== undefined && secret !== "") {
    out.secret = new TextEncoder().encode(secret);
    assertSecretStrength(out.secret);
  }
  if (pem !== undefined && pem !== "") out.publicKeyPem = pem.replaceAll("\\n", "\n");
  return out;
}

function devSecret(
  file: string,
  randomBytes: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): string {
  const fromFile: Record<string, string | undefined> = {};
  applyDotenv(file, fromFile);
  const existing = fromFile.GATEWAY_JWT_SECRET;
  if (existing !== undefined && existing !== "") return existing;
  const fresh = Buffer.from(randomBytes(32)).toString("base64url");
  const needsNewline =
    existsSync(file) && !readFileSync(file, "utf8").endsWith("\n") && readFileSync(file, "utf8") !== "";
  appendFileSync(
    file,
    `${needsNewline ? "\n" : ""}# isolated-dev only: generated JWT secret, never used outside dev\nGATEWAY_JWT_SECRET=${fresh}\n`,
    {
      mode: 0o600,
    },
  );
  return fresh;
}

/**
 * The variables {@link resolveAuthKeys} reads, as specs for the README table and the deploy
 * config contract (it reads them itself, not through `loadConfig`).
 */
export const AUTH_VARS: Specs = {
  GATEWAY_JWT_SECRET: {
    doc: "HS256 secret (≥ 32 bytes) for bearer tokens; required outside isolated dev",
    parse: String,
  },
  GATEWAY_JWT_PUBLIC_KEY: { doc: "EdDSA public key (PEM) for bearer tokens, instead of the secret", parse: String },
  GATEWAY_JWT_ISSUER: { doc: "Expected `iss` claim", default: "semente", parse: String },
  GATEWAY_JWT_AUDIENCE: { doc: "Expected `aud` claim", default: "semente-gateway", parse: String },
};
