import { bool, oneOf, str } from "../config/index.ts";
import { SementeError } from "@semente/core/errors";
import { createLocalDevKeyProvider, createVaultTransitKeyProvider, type KeyProvider } from "../keys/index.ts";

/**
 * Key provider selection shared by the planner, the seeders and `semente verify`: they must all
 * derive the same FPE keys, so they read the same variables.
 */
export const KEY_PROVIDER_VARS = {
  KEY_PROVIDER: oneOf(
    "Key provider: Vault/OpenBao Transit, or the isolated-dev local key",
    ["vault-transit", "local-dev"] as const,
    "vault-transit",
  ),
  VAULT_ADDR: str("Vault/OpenBao base URL (vault-transit)", "http://127.0.0.1:8200"),
  VAULT_TOKEN: str("Vault token (vault-transit); never logged", ""),
  VAULT_TRANSIT_MOUNT: str("Mount path of the Transit engine", "transit"),
  SEMENTE_ISOLATED_DEV: bool(
    "Isolated dev machine: allows the local dev key and `semente seed --direct` (never in CI)",
    "false",
  ),
  SEMENTE_DEV_KEY_FILE: str("File holding SEMENTE_DEV_KEY for the local dev key", ".env.local"),
} as const;

/** Values of {@link KEY_PROVIDER_VARS}. */
export interface KeyProviderConfig {
  KEY_PROVIDER: "vault-transit" | "local-dev";
  VAULT_ADDR: string;
  VAULT_TOKEN: string;
  VAULT_TRANSIT_MOUNT: string;
  SEMENTE_ISOLATED_DEV: boolean;
  SEMENTE_DEV_KEY_FILE: string;
}

/**
 * The key provider for runs of `environment`. The local dev key refuses (`DEV_KEY_FORBIDDEN`)
 * outside isolated dev or under CI; Vault without a token is `CONFIG_INVALID`.
 */
export function keyProviderFromConfig(config: KeyProviderConfig, environment: string): KeyProvider {
  if (config.KEY_PROVIDER === "local-dev") {
    return createLocalDevKeyProvider({
      environment,
      isolatedDev: config.SEMENTE_ISOLATED_DEV,
      envLocalPath: config.SEMENTE_DEV_KEY_FILE,
    });
  }
  if (config.VAULT_TOKEN === "") throw new SementeError("CONFIG_INVALID", "VAULT_TOKEN is required for vault-transit");
  return createVaultTransitKeyProvider({
    endpoint: config.VAULT_ADDR,
    token: config.VAULT_TOKEN,
    mount: config.VAULT_TRANSIT_MOUNT,
  });
}
