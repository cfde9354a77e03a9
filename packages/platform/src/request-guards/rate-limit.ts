import type { PendingQuery, Row, Sql } from "postgres";
import type { RateLimitPolicy, RateLimitResult } from "./types.ts";

/** Token buckets in `seed.rate_limit_buckets`, shared by every gateway replica. */
export interface RateLimiter {
  /** Takes one token from each bucket (all at once); the request is allowed only if every bucket allowed it. */
  take(buckets: { policy: RateLimitPolicy; key: string }[]): Promise<RateLimitResult[]>;
  /** Deletes buckets untouched for longer than `idleSeconds` (they are full by then); returns how many. */
  purgeIdle(idleSeconds: number): Promise<number>;
}

/**
 * The atomic upsert that takes one token from a bucket, `returning tokens, allowed`: refill by
 * elapsed database time, then take a token if one is there. A fragment, so that other statements
 * (the idempotency reservation) can run it in the same round trip.
 */
export function takeTokenQuery(sql: Sql, policy: RateLimitPolicy, key: string): PendingQuery<Row[]> {
  const rate = policy.quota / policy.windowSeconds;
  return sql`
    insert into seed.rate_limit_buckets as b (key, tokens, allowed, updated_at)
    values (${key}, ${policy.quota - 1}, true, statement_timestamp())
    on conflict (key) do update set
      tokens = least(${policy.quota}::float8, b.tokens + greatest(0, extract(epoch from statement_timestamp() - b.updated_at)) * ${rate}::float8)
             - case when least(${policy.quota}::float8, b.tokens + greatest(0, extract(epoch from statement_timestamp() - b.updated_at)) * ${rate}::float8) >= 1
                    then 1 else 0 end,
      allowed = least(${policy.quota}::float8, b.tokens + greatest(0, extract(epoch from statement_timestamp() - b.updated_at)) * ${rate}::float8) >= 1,
      updated_at = statement_timestamp()
    returning tokens, allowed`;
}

/** What a bucket row returned by `takeTokenQuery` means for the response. */
export function toRateLimitResult(
  policy: RateLimitPolicy,
  row: { tokens: number; allowed: boolean } | undefined,
): RateLimitResult {
  const rate = policy.quota / policy.windowSeconds;
  const tokens = Math.max(0, row?.tokens ?? 0);
  const allowed = row?.allowed ?? false;
  return {
    policy,
    allowed,
    remaining: Math.floor(tokens),
    resetSeconds: Math.ceil((policy.quota - tokens) / rate),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / rate)),
  };
}

export function createRateLimiter(sql: Sql): RateLimiter {
  async function takeOne(policy: RateLimitPolicy, key: string): Promise<RateLimitResult> {
    const [row] = (await takeTokenQuery(sql, policy, key)) as unknown as { tokens: number; allowed: boolean }[];
    return toRateLimitResult(policy, row);
  }
  return {
    take: (buckets) => Promise.all(buckets.map((b) => takeOne(b.policy, b.key))),
    async purgeIdle(idleSeconds) {
      const result = await sql`
        delete from seed.rate_limit_buckets where updated_at < now() - make_interval(secs => ${idleSeconds})`;
      return result.count;
    },
  };
}
