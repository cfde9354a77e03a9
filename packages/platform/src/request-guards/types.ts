/** One rate-limit policy: a token bucket of `quota` requests refilled evenly over `windowSeconds`. */
export interface RateLimitPolicy {
  /** Policy name in the `RateLimit-Policy` field (`"principal"`, `"tenant"`, `"ip"`). */
  name: string;
  /** Bucket capacity: requests allowed in a burst, and per window on average (`q`). */
  quota: number;
  /** Seconds over which a whole quota refills (`w`). */
  windowSeconds: number;
}

/** The state of one bucket after a request took from it. */
export interface RateLimitResult {
  policy: RateLimitPolicy;
  /** Whether this bucket allowed the request. */
  allowed: boolean;
  /** Whole requests left right now (`r`). */
  remaining: number;
  /** Seconds until the bucket is full again (`t`). */
  resetSeconds: number;
  /** Seconds until one request is available again; 0 when allowed. */
  retryAfterSeconds: number;
}

/** A stored HTTP response, replayed byte for byte. */
export interface StoredResponse {
  status: number;
  /** Header pairs in the order they were sent (only the resource's own headers, not RateLimit ones). */
  headers: [string, string][];
  body: Uint8Array;
}

/** What reserving an Idempotency-Key found. */
export type Reservation =
  /** The key is ours: run the request, then `complete` or `release` it. */
  | { kind: "reserved" }
  /** The same request already completed: return the stored response. */
  | { kind: "replay"; response: StoredResponse }
  /** The key was used for a different request (409 IDEMPOTENCY_CONFLICT). */
  | { kind: "conflict" }
  /** The same request is still running elsewhere (409 IDEMPOTENCY_IN_FLIGHT + Retry-After). */
  | { kind: "in_flight"; retryAfterSeconds: number };

/** Outcome of `IdempotencyStore.reserveWithin`. */
export interface ReservationWithinLimit {
  /** The bucket after the request took from it. */
  limit: RateLimitResult;
  /** What reserving found; `null` when the bucket refused and nothing was reserved. */
  reservation: Reservation | null;
}

/** Identity of one idempotent request. */
export interface IdempotentRequest {
  key: string;
  principal: string;
  route: string;
  /** `requestFingerprint(route, principal, manifest hash or body hash)`. */
  fingerprint: string;
}

/** Options of `createIdempotencyStore`. */
export interface IdempotencyOptions {
  /** How long a completed response is kept. @default 86400 (24 h) */
  ttlSeconds?: number;
  /** How long an in-flight reservation blocks duplicates before a crashed holder's key may be taken over. @default 60 */
  lockSeconds?: number;
}

/** Options of `createLocalRateLimiter`. */
export interface LocalRateLimiterOptions {
  /** Monotonic milliseconds. @default () => performance.now() */
  clock?: () => number;
  /** Buckets kept in memory; the least recently used is dropped beyond it. @default 10000 */
  maxKeys?: number;
}
