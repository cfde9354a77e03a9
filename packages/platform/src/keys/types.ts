/** Which key provider is in use. */
export const KeyProviderKind = {
  /** HashiCorp Vault / OpenBao Transit engine (every shared environment). */
  vaultTransit: "vault-transit",
  /** A dev-only key from the unversioned `.env.local`, in isolated dev only. */
  localDev: "local-dev",
} as const;
export type KeyProviderKind = (typeof KeyProviderKind)[keyof typeof KeyProviderKind];

/** Keys are per environment and tenant. */
export interface KeyScope {
  environment: string;
  tenant: string;
}

/** A detached signature and the id of the key that made it. */
export interface KeySignature {
  signature: Uint8Array;
  /** Names the key and its version, e.g. `vault-transit:transit/semente-evidence-dev:v1`. */
  keyId: string;
}

/** A public key to verify signatures with. */
export interface KeyPublic {
  keyId: string;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem: string;
}

/**
 * Where FPE key material and signatures come from. Every failure is a `SementeError`:
 * `KEY_PROVIDER_UNAVAILABLE` (retryable when the provider may come back), `KEY_VERSION_MISMATCH`,
 * `DEV_KEY_FORBIDDEN`. Secrets (tokens, keys) never appear in errors.
 */
export interface KeyProvider {
  readonly kind: KeyProviderKind;
  /** Latest key version for (environment, tenant); compared with the manifest or checkpoint. */
  keyVersion(scope: KeyScope): Promise<number>;
  /**
   * 32 bytes of FPE key material for (scope, keyVersion). Derived once per provider instance and
   * version (cached), never per value. A version above the latest or below the key's minimum
   * throws `KEY_VERSION_MISMATCH`.
   */
  deriveFpeKey(scope: KeyScope, keyVersion: number): Promise<Uint8Array>;
  /** Ed25519 signature of `payload` (evidence reports). */
  sign(scope: KeyScope, payload: Uint8Array): Promise<KeySignature>;
  /** The public key matching {@link KeyProvider.sign}. */
  publicKey(scope: KeyScope): Promise<KeyPublic>;
}

/** The context whose keyed hash is the FPE key: `semente/fpe/v1/<environment>/<tenant>`. */
export function fpeContext(scope: KeyScope): string {
  return `semente/fpe/v1/${scope.environment}/${scope.tenant}`;
}
