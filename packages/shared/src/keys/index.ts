export { assertKeyVersion } from "./assert-key-version.ts";
export { ed25519FromSeed, ed25519RawToPem } from "./ed25519.ts";
export { createLocalDevKeyProvider, ensureDevKey } from "./local-dev.ts";
export { fpeContext, KeyProviderKind } from "./types.ts";
export { createVaultTransitKeyProvider } from "./vault-transit.ts";
export type { LocalDevKeyProviderOptions } from "./local-dev.ts";
export type { KeyProvider, KeyPublic, KeyScope, KeySignature } from "./types.ts";
export type { VaultTransitKeyProvider, VaultTransitKeyProviderOptions } from "./vault-transit.ts";
