import { SementeError } from "@semente/core/errors";
import {
  createLocalRateLimiter,
  type IdempotencyStore,
  type IdempotentRequest,
  type RateLimiter,
  type RateLimitPolicy,
  type RateLimitResult,
  type Reservation,
  type ReservationWithinLimit,
} from "@semente/platform/request-guards";
import type { Logger } from "@semente/platform/telemetry";
import type { GatewayMetrics } from "../instrumentation.ts";

/** The RATE_LIMITED refusal of the first denied policy, or undefined when every bucket had a token. */
export function rateLimited(results: RateLimitResult[]): SementeError | undefined {
  const denied = results.filter((r) => !r.allowed);
  if (denied.length === 0) return undefined;
  const retry = Math.max(...denied.map((r) => r.retryAfterSeconds));
  return new SementeError("RATE_LIMITED", `rate limit '${denied[0]?.policy.name}' exceeded`, {
    extensions: { retry_after: retry, policy: denied[0]?.policy.name },
  });
}

/** What {@link createChainLimits} needs. */
export interface ChainLimitsDeps {
  log: Logger;
  metrics: GatewayMetrics;
  limiter: RateLimiter;
  /** Used while `limiter` (the shared store) is unreachable. @default in-process token buckets */
  fallbackLimiter?: RateLimiter;
  idempotency: IdempotencyStore;
}

/** Rate-limit steps of the request chain; every result is pushed to `into` (the RateLimit headers). */
export interface ChainLimits {
  /** Takes a token of `policy` for `key`; throws RATE_LIMITED when the bucket is empty. */
  take(policy: RateLimitPolicy, key: string, into: RateLimitResult[]): Promise<void>;
  /** Takes the tenant's token and reserves the idempotency key in one round trip (two if that fails). */
  reserveWithin(
    idem: IdempotentRequest,
    bucket: { policy: RateLimitPolicy; key: string },
    into: RateLimitResult[],
    log: Logger,
  ): Promise<Reservation>;
}

export function createChainLimits(deps: ChainLimitsDeps): ChainLimits {
  const { limiter, metrics } = deps;
  const fallbackLimiter = deps.fallbackLimiter ?? createLocalRateLimiter();

  async function take(policy: RateLimitPolicy, key: string, into: RateLimitResult[]): Promise<void> {
    let results: RateLimitResult[];
    try {
      results = await limiter.take([{ policy, key }]);
    } catch (cause) {
      // Degrade to per-replica buckets rather than refuse: a readiness probe must still say what is down.
      deps.log.warn({ err: cause, policy: policy.name }, "shared rate limiter unavailable, using local buckets");
      results = await fallbackLimiter.take([{ policy, key }]);
    }
    into.push(...results);
    const refusal = rateLimited(results);
    if (refusal !== undefined) {
      metrics.rateLimited.inc({ policy: policy.name });
      throw refusal;
    }
  }

  async function reserveWithin(
    idem: IdempotentRequest,
    bucket: { policy: RateLimitPolicy; key: string },
    into: RateLimitResult[],
    log: Logger,
  ): Promise<Reservation> {
    let gated: ReservationWithinLimit;
    try {
      gated = await deps.idempotency.reserveWithin(idem, bucket);
    } catch (cause) {
      // The combined statement failed: take the two steps apart, so the limiter's fallback applies.
      log.warn({ err: cause }, "combined rate limit and idempotency reservation failed");
      await take(bucket.policy, bucket.key, into);
      return deps.idempotency.reserve(idem);
    }
    into.push(gated.limit);
    const refusal = rateLimited([gated.limit]);
    if (refusal !== undefined || gated.reservation === null) {
      metrics.rateLimited.inc({ policy: bucket.policy.name });
      throw refusal ?? new SementeError("RATE_LIMITED", `rate limit '${bucket.policy.name}' exceeded`);
    }
    return gated.reservation;
  }

  return { take, reserveWithin };
}
