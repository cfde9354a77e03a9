/** Roles a token may carry (R3.4). */
export const Role = {
  /** Validates manifests and creates/cancels runs within its tenants and environments. */
  seedRunner: "seed-runner",
  /** Everything, everywhere the token's tenants/environments allow. */
  admin: "admin",
  /** GET only. */
  read: "read",
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** What a request wants to do, for the authorization check. */
export const Action = {
  /** Any GET of run state or evidence. */
  read: "read",
  /** `POST /api/v1/seed-profiles/validate`. */
  validate: "validate",
  /** `POST /api/v1/seed-runs`. */
  create: "create",
  /** `POST /api/v1/seed-runs/{id}/cancel`. */
  cancel: "cancel",
  /** `POST /api/v1/seed-runs/{id}/dlq/{entry}/replay` (admin only). */
  replay: "replay",
  /** A purge or reseed run: `POST /api/v1/seed-runs` with `operation` `purge` or `reseed` (admin only). */
  purge: "purge",
} as const;
export type Action = (typeof Action)[keyof typeof Action];

/** The verified caller of a request. Built only from a verified token. */
export interface Principal {
  /** Token subject (`sub`); used as the audit principal and the rate-limit key. */
  subject: string;
  roles: Role[];
  /** Tenant slugs the token may touch; `["*"]` means every tenant. */
  tenants: string[];
  /** Environments the token may touch; `["*"]` means every environment. */
  environments: string[];
  /** Expiry, seconds since the epoch. */
  expiresAt: number;
}

/** How tokens are signed and checked. */
export interface AuthKeys {
  /** HS256 shared secret (at least 32 bytes). */
  secret?: Uint8Array;
  /** EdDSA (Ed25519) public key in SPKI PEM; when set, tokens must be EdDSA-signed. */
  publicKeyPem?: string;
  /** Required `iss` claim. @default "semente" */
  issuer: string;
  /** Required `aud` claim. @default "semente-gateway" */
  audience: string;
}

/** Claims of a token to mint. */
export interface MintOptions {
  subject: string;
  roles: Role[];
  tenants: string[];
  environments: string[];
  /** Lifetime in seconds. */
  ttlSeconds: number;
  /** Issue time in seconds since the epoch (the caller owns the clock). */
  issuedAt: number;
}
