import { randomInt } from "node:crypto";
import { isRetryablePgError, pgErrorCode } from "../db/index.ts";
import { isSementeError, type Problem, SementeError, toProblem } from "@semente/core/errors";

/** Exponential backoff bounds; the delay actually used is drawn uniformly below the bound (full jitter). */
export interface BackoffPolicy {
  /** Bound of the first retry, in ms. */
  baseMs: number;
  /** Upper bound of any delay, in ms. */
  maxMs: number;
}

/** In-process retries of transient PostgreSQL failures before the message is nak'ed. */
export const IN_PROCESS_BACKOFF: BackoffPolicy = { baseMs: 50, maxMs: 2_000 };

/** Redelivery delays asked of JetStream (`nak(delay)`) after the in-process retries are spent. */
export const NAK_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 30_000 };

/** What the seeder does with a failed batch. */
export const FailureAction = {
  /** Transient database conflict (serialization, deadlock, lock/statement timeout): retry in-process. */
  retry: "retry",
  /** Worth another delivery later (broker/DB/key provider unavailable, unknown failure): `nak(delay)`. */
  nak: "nak",
  /**
   * Will fail the same way every time: reported as not retryable on the failed-batch subject and
   * redelivered only at the slow poison delay until the run's retries are spent, then stored in
   * the DLQ and acked (never `term()`: nats-server 2.9 keeps a terminated message in a work queue).
   */
  poison: "poison",
} as const;
export type FailureAction = (typeof FailureAction)[keyof typeof FailureAction];

/** How a failure was classified; `problem` is safe to publish (no SQL, secrets or PII). */
export interface FailureClass {
  action: FailureAction;
  problem: Problem;
}

/** `0 ≤ x < bound` from the OS CSPRNG: transport timing only, never generated data. */
export type RandomBelow = (bound: number) => number;

const cryptoBelow: RandomBelow = (bound) => (bound <= 0 ? 0 : randomInt(bound));

/**
 * Full-jitter backoff: a uniform delay in `[0, min(maxMs, baseMs · 2^(attempt−1))]` for the
 * `attempt`-th retry (1-based). Spreads competing seeders apart instead of retrying in lockstep.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: RandomBelow = cryptoBelow): number {
  const exp = Math.min(30, Math.max(0, attempt - 1));
  const bound = Math.min(policy.maxMs, policy.baseMs * 2 ** exp);
  return random(Math.floor(bound) + 1);
}

/** A run's retry schedule (its manifest's `rate_limit.backoff`). */
export interface RunRetryPolicy {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** Retries after the first attempt; attempt `maxRetries + 1` is the last one. */
  maxRetries: number;
}

/** FNV-1a of a string, 32 bits: a stable spread for jitter (transport timing, not generation). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Delay before retry `attempt` (1-based) under a run's policy: the bound
 * `min(maxMs, initialMs · multiplier^(attempt−1))`, with equal jitter — half the bound plus a
 * deterministic share of the other half keyed by `jitterKey` (batch and attempt), so seeders
 * retrying different batches spread apart and a replay of the same schedule is reproducible.
 */
export function runBackoffDelay(attempt: number, policy: RunRetryPolicy, jitterKey: string): number {
  const exp = Math.min(60, Math.max(0, attempt - 1));
  const bound = Math.floor(Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** exp));
  const half = Math.floor(bound / 2);
  return bound - half + (fnv1a(`${jitterKey}:${attempt}`) % (half + 1));
}

/** Whether delivery `attempt` (1-based) failing exhausts the run's retries. */
export function retriesExhausted(attempt: number, policy: RunRetryPolicy): boolean {
  return attempt >= policy.maxRetries + 1;
}

/** Errors of the postgres.js client itself (not SQLSTATEs): the connection, not the batch, failed. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
]);

/** SQLSTATE classes that mean the server or connection is unwell, not the data: 08 connection, 53 resources, 57P admin shutdown. */
function isTransientServerState(code: string): boolean {
  return code.startsWith("08") || code.startsWith("53") || code.startsWith("57P");
}

/**
 * Classifies a failed batch: transient PostgreSQL conflicts retry in-process; retryable
 * `SementeError`s, lost connections and unknown errors are nak'ed (bounded by the consumer's
 * `max_deliver`, after which the advisory DLQ takes the batch); non-retryable `SementeError`s and
 * data errors (constraint violations and the like) are poison and terminated at once.
 */
export function classifyFailure(error: unknown): FailureClass {
  if (isRetryablePgError(error)) {
    const code = pgErrorCode(error) ?? "";
    return {
      action: FailureAction.retry,
      problem: toProblem(
        new SementeError("UNAVAILABLE", `transient PostgreSQL failure (SQLSTATE ${code})`, { retryable: true }),
      ),
    };
  }
  if (isSementeError(error)) {
    return { action: error.retryable ? FailureAction.nak : FailureAction.poison, problem: toProblem(error) };
  }
  const sqlstate = pgErrorCode(error);
  if (sqlstate !== undefined) {
    const transient = isTransientServerState(sqlstate);
    // The PostgreSQL message may quote row values (PII): only the SQLSTATE travels.
    const wrapped = new SementeError(
      transient ? "UNAVAILABLE" : "INTERNAL",
      `batch failed in PostgreSQL with SQLSTATE ${sqlstate}`,
      { retryable: transient, extensions: { sqlstate } },
    );
    return { action: transient ? FailureAction.nak : FailureAction.poison, problem: toProblem(wrapped) };
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && CONNECTION_CODES.has(code)) {
    return {
      action: FailureAction.nak,
      problem: toProblem(new SementeError("UNAVAILABLE", `database connection failed (${code})`, { retryable: true })),
    };
  }
  return {
    action: FailureAction.nak,
    problem: toProblem(new SementeError("INTERNAL", "unexpected failure while writing the batch", { retryable: true })),
  };
}

/** Options of {@link retryTransient}. */
export interface RetryOptions {
  /**
   * Attempts in total, the first included.
   * @default 4
   */
  attempts?: number;
  /** @default IN_PROCESS_BACKOFF */
  policy?: BackoffPolicy;
  /** Called before each retry with the failure and the delay about to be slept. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Injected in tests. @default crypto-backed uniform draw */
  random?: RandomBelow;
}

/**
 * Runs `fn` and retries it with full-jitter backoff while it fails with a transient PostgreSQL
 * error (40001, 40P01, 55P03, 57014). Any other failure, or the last transient one, is rethrown
 * for the caller to nak or terminate.
 */
export async function retryTransient<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 4;
  const policy = options.policy ?? IN_PROCESS_BACKOFF;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !isRetryablePgError(error)) throw error;
      const delay = backoffDelay(attempt, policy, options.random);
      options.onRetry?.(error, attempt, delay);
      await Bun.sleep(delay); // clock-ok: transport timing, not generation
    }
  }
}
