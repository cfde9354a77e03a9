export { requestFingerprint, sha256Hex } from "./fingerprint.ts";
export { createIdempotencyStore } from "./idempotency.ts";
export { createLocalRateLimiter } from "./local-rate-limit.ts";
export { createRateLimiter } from "./rate-limit.ts";
export { rateLimitHeaders } from "./rate-limit-headers.ts";
export type { IdempotencyStore } from "./idempotency.ts";
export type { RateLimiter } from "./rate-limit.ts";
export type {
  IdempotencyOptions,
  IdempotentRequest,
  LocalRateLimiterOptions,
  RateLimitPolicy,
  RateLimitResult,
  Reservation,
  ReservationWithinLimit,
  StoredResponse,
} from "./types.ts";
