export { AUTH_VARS, isIsolatedDev, resolveAuthKeys } from "./keys.ts";
export { assertSecretStrength, createTokenVerifier, mintToken } from "./jwt.ts";
export { assertAllowed, canSee, hasRoleFor } from "./policy.ts";
export { Action, Role } from "./types.ts";
export type { ResolveAuthKeysOptions } from "./keys.ts";
export type { AuthKeys, MintOptions, Principal } from "./types.ts";
