import { SementeError } from "@semente/core/errors";
import type { KeyProvider, KeyScope } from "./types.ts";

/**
 * Fails closed unless the provider's latest key version equals `expected` (from the manifest or
 * the last checkpoint): a rotated key needs a coordinated reseed, never a silent mix of versions.
 */
export async function assertKeyVersion(provider: KeyProvider, scope: KeyScope, expected: number): Promise<number> {
  const actual = await provider.keyVersion(scope);
  if (actual !== expected) {
    throw new SementeError(
      "KEY_VERSION_MISMATCH",
      `key version for ${scope.environment}/${scope.tenant} is ${actual}, expected ${expected}; a coordinated reseed is required`,
      { extensions: { expected, actual, environment: scope.environment, tenant: scope.tenant } },
    );
  }
  return actual;
}
