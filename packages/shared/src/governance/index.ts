export { requestFingerprint, sha256Hex } from "./fingerprint.ts";
export { createIdempotencyStore } from "./idempotency.ts";
export { createRateLimiter } from "./rate-limit.ts";
export { rateLimitHeaders } from "./rate-limit-headers.ts";
export type { IdempotencyStore } from "./idempotency.ts";
export type { RateLimiter } from "./rate-limit.ts";
export type {
  IdempotencyOptions,
  IdempotentRequest,
  RateLimitPolicy,
  RateLimitResult,
  Reservation,
  StoredResponse,
} from "./types.ts";
