import type { RateLimitResult } from "./types.ts";

/**
 * The rate-limit fields of a response: `RateLimit-Policy` and `RateLimit` as in
 * draft-ietf-httpapi-ratelimit-headers-10 (Structured Field lists, e.g. `"principal";q=100;w=60` and
 * `"principal";r=42;t=30`), plus the legacy `RateLimit-Limit`/`-Remaining`/`-Reset` of the bucket
 * closest to exhaustion, for older clients.
 */
export function rateLimitHeaders(results: RateLimitResult[]): Record<string, string> {
  if (results.length === 0) return {};
  const tightest = results.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  const name = (r: RateLimitResult) => `"${r.policy.name.replaceAll('"', "")}"`;
  return {
    "RateLimit-Policy": results.map((r) => `${name(r)};q=${r.policy.quota};w=${r.policy.windowSeconds}`).join(", "),
    RateLimit: results.map((r) => `${name(r)};r=${r.remaining};t=${r.resetSeconds}`).join(", "),
    "RateLimit-Limit": String(tightest.policy.quota),
    "RateLimit-Remaining": String(tightest.remaining),
    "RateLimit-Reset": String(tightest.resetSeconds),
  };
}
