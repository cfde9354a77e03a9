import { createSecretKey } from "node:crypto";
import { errors, importSPKI, jwtVerify, SignJWT } from "jose";
import { SementeError } from "@semente/core/errors";
import { type AuthKeys, type MintOptions, type Principal, Role } from "./types.ts";

const ROLES = new Set<string>(Object.values(Role));
const MIN_SECRET_BYTES = 32;

function unauthenticated(message: string, cause?: unknown): SementeError {
  return new SementeError("UNAUTHENTICATED", message, { cause });
}

function stringArray(value: unknown, claim: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string" && v !== "")) {
    throw unauthenticated(`token claim '${claim}' must be a non-empty array of strings`);
  }
  return value as string[];
}

/** Checks that an HS256 secret is long enough; throws CONFIG_INVALID otherwise. */
export function assertSecretStrength(secret: Uint8Array): void {
  if (secret.byteLength < MIN_SECRET_BYTES) {
    throw new SementeError("CONFIG_INVALID", `the JWT secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
}

/** Builds a verifier for bearer tokens; the returned function throws UNAUTHENTICATED on any defect. */
export async function createTokenVerifier(keys: AuthKeys): Promise<(token: string) => Promise<Principal>> {
  // Import the key once: handing jose raw secret bytes makes it re-import them on every verify.
  const key =
    keys.publicKeyPem !== undefined
      ? await importSPKI(keys.publicKeyPem, "EdDSA")
      : keys.secret === undefined
        ? undefined
        : createSecretKey(keys.secret);
  if (key === undefined) throw new SementeError("CONFIG_INVALID", "no JWT secret or public key configured");
  if (key instanceof Uint8Array) assertSecretStrength(key);
  const algorithms = keys.publicKeyPem !== undefined ? ["EdDSA"] : ["HS256"];
  return async (token) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key, { algorithms, issuer: keys.issuer, audience: keys.audience }));
    } catch (error) {
      const reason = error instanceof errors.JWTExpired ? "token expired" : "token invalid";
      throw unauthenticated(reason, error);
    }
    if (typeof payload.sub !== "string" || payload.sub === "") throw unauthenticated("token has no subject");
    if (typeof payload.exp !== "number") throw unauthenticated("token has no expiry");
    const roles = stringArray(payload.roles, "roles");
    if (!roles.every((r) => ROLES.has(r))) throw unauthenticated("token carries an unknown role");
    return {
      subject: payload.sub,
      roles: roles as Role[],
      tenants: stringArray(payload.tenants, "tenants"),
      environments: stringArray(payload.environments, "environments"),
      expiresAt: payload.exp,
    };
  };
}

/** Mints an HS256 token (dev tokens and tests). */
export async function mintToken(keys: AuthKeys, options: MintOptions): Promise<string> {
  if (keys.secret === undefined) throw new SementeError("CONFIG_INVALID", "minting needs the HS256 secret");
  assertSecretStrength(keys.secret);
  return new SignJWT({ roles: options.roles, tenants: options.tenants, environments: options.environments })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(options.subject)
    .setIssuer(keys.issuer)
    .setAudience(keys.audience)
    .setIssuedAt(options.issuedAt)
    .setExpirationTime(options.issuedAt + options.ttlSeconds)
    .sign(keys.secret);
}
