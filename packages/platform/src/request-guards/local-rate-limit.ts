import { type RateLimiter, toRateLimitResult } from "./rate-limit.ts";
import type { LocalRateLimiterOptions, RateLimitResult } from "./types.ts";

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Token buckets in process memory, with the same arithmetic as `createRateLimiter`. The gateway
 * falls back to it only while the shared store is unreachable, so limits still hold per replica
 * and every response keeps its RateLimit fields.
 */
export function createLocalRateLimiter(options: LocalRateLimiterOptions = {}): RateLimiter {
  const clock = options.clock ?? (() => performance.now());
  const maxKeys = options.maxKeys ?? 10_000;
  const buckets = new Map<string, Bucket>();
  return {
    async take(requests) {
      const at = clock();
      return requests.map(({ policy, key }): RateLimitResult => {
        const rate = policy.quota / policy.windowSeconds;
        const bucket = buckets.get(key);
        const available =
          bucket === undefined
            ? policy.quota
            : Math.min(policy.quota, bucket.tokens + (Math.max(0, at - bucket.updatedMs) / 1000) * rate);
        const allowed = available >= 1;
        const tokens = allowed ? available - 1 : available;
        // Re-inserting keeps the Map in least-recently-used order, so eviction drops the idlest bucket.
        buckets.delete(key);
        buckets.set(key, { tokens, updatedMs: at });
        if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string);
        return toRateLimitResult(policy, { tokens, allowed });
      });
    },
    async purgeIdle(idleSeconds) {
      const before = clock() - idleSeconds * 1000;
      let purged = 0;
      for (const [key, bucket] of buckets) {
        if (bucket.updatedMs < before) {
          buckets.delete(key);
          purged += 1;
        }
      }
      return purged;
    },
  };
}
