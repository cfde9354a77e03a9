import type { Principal } from "@semente/platform/auth";
import { sha256Hex } from "@semente/platform/request-guards";

/** Options of `cacheVerifiedTokens`. */
export interface TokenCacheOptions {
  /** Verified tokens remembered; the least recently used is dropped beyond it. @default 1024 */
  maxEntries?: number;
  /** Epoch seconds. @default () => Math.floor(Date.now() / 1000) */
  clock?: () => number;
}

/**
 * Wraps a token verifier so a token already verified is not verified again until it expires:
 * verification is a pure function of the token and the process's fixed keys, apart from `exp`,
 * which is checked on every hit. Only successes are remembered, under the token's sha256 (the
 * bearer token itself is not kept).
 */
export function cacheVerifiedTokens(
  verify: (token: string) => Promise<Principal>,
  options: TokenCacheOptions = {},
): (token: string) => Promise<Principal> {
  const maxEntries = options.maxEntries ?? 1024;
  const clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  const verified = new Map<string, Principal>();
  return async (token) => {
    const key = sha256Hex(token);
    const hit = verified.get(key);
    if (hit !== undefined) {
      verified.delete(key);
      if (clock() < hit.expiresAt) {
        verified.set(key, hit);
        return hit;
      }
    }
    const principal = await verify(token);
    verified.set(key, principal);
    // Re-inserting keeps the Map in least-recently-used order, so eviction drops the idlest token.
    if (verified.size > maxEntries) verified.delete(verified.keys().next().value as string);
    return principal;
  };
}
