import type { PendingQuery, Row, Sql } from "postgres";
import { takeTokenQuery, toRateLimitResult } from "./rate-limit.ts";
import type {
  IdempotencyOptions,
  IdempotentRequest,
  RateLimitPolicy,
  Reservation,
  ReservationWithinLimit,
  StoredResponse,
} from "./types.ts";

/** Idempotency-Key storage in `seed.idempotency_keys`, shared by every gateway replica and kept across restarts. */
export interface IdempotencyStore {
  /** Atomically claims the key for this request, or says what already holds it. */
  reserve(request: IdempotentRequest): Promise<Reservation>;
  /**
   * Takes a token from `bucket` and, only when it allowed the request, reserves the key: what
   * `RateLimiter.take` then `reserve` do, in one round trip. `reservation` is `null` when the
   * bucket refused (nothing was reserved).
   */
  reserveWithin(
    request: IdempotentRequest,
    bucket: { policy: RateLimitPolicy; key: string },
  ): Promise<ReservationWithinLimit>;
  /** Stores the response of a reserved request; `ttlSeconds` overrides the default (per-mode TTLs). */
  complete(request: IdempotentRequest, response: StoredResponse, ttlSeconds?: number): Promise<void>;
  /** Drops a reservation whose request failed unexpectedly, so the client may retry with the same key. */
  release(request: IdempotentRequest): Promise<void>;
  /** Deletes expired keys; returns how many. */
  purgeExpired(): Promise<number>;
}

const ATTEMPTS = 3;

interface KeyRow {
  fingerprint: string;
  state: string;
  status: number | null;
  headers: [string, string][] | null;
  body: Uint8Array | null;
  wait: number;
}

export function createIdempotencyStore(sql: Sql, options: IdempotencyOptions = {}): IdempotencyStore {
  const ttl = options.ttlSeconds ?? 86_400;
  const lock = options.lockSeconds ?? 60;

  // Takes over a row only when it expired, or when a holder of the same request died mid-flight.
  // `gate` is an optional `from … where …` that decides whether the row is inserted at all.
  const claim = (request: IdempotentRequest, gate: PendingQuery<Row[]>) => sql`
    insert into seed.idempotency_keys as k (key, principal, route, fingerprint, state, expires_at)
    select ${request.key}::text, ${request.principal}::text, ${request.route}::text, ${request.fingerprint}::text,
           'in_flight', now() + make_interval(secs => ${ttl})
    ${gate}
    on conflict (key) do update set
      principal = excluded.principal, route = excluded.route, fingerprint = excluded.fingerprint,
      state = 'in_flight', status = null, headers = null, body = null,
      created_at = now(), expires_at = excluded.expires_at
    where k.expires_at <= now()
       or (k.state = 'in_flight' and k.fingerprint = excluded.fingerprint
           and k.created_at <= now() - make_interval(secs => ${lock}))
    returning key`;

  /** What holds the key; `undefined` when the row vanished meanwhile (expired and purged). */
  async function lookup(request: IdempotentRequest): Promise<Reservation | undefined> {
    const [row] = await sql<KeyRow[]>`
      select fingerprint, state, status, headers, body,
             greatest(1, ceil(extract(epoch from created_at + make_interval(secs => ${lock}) - now())))::int as wait
      from seed.idempotency_keys where key = ${request.key} and expires_at > now()`;
    if (row === undefined) return undefined;
    if (row.fingerprint !== request.fingerprint) return { kind: "conflict" };
    if (row.state === "in_flight") return { kind: "in_flight", retryAfterSeconds: row.wait };
    return {
      kind: "replay",
      response: { status: row.status as number, headers: row.headers ?? [], body: new Uint8Array(row.body ?? []) },
    };
  }

  async function reserve(request: IdempotentRequest): Promise<Reservation> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if ((await claim(request, sql``)).length === 1) return { kind: "reserved" };
      const found = await lookup(request);
      if (found !== undefined) return found;
    }
    return { kind: "in_flight", retryAfterSeconds: 1 };
  }

  return {
    reserve,
    async reserveWithin(request, bucket) {
      const [row] = await sql<{ tokens: number; allowed: boolean; claimed: boolean }[]>`
        with take as (${takeTokenQuery(sql, bucket.policy, bucket.key)}),
             claim as (${claim(request, sql`from take where take.allowed`)})
        select take.tokens, take.allowed, exists (select 1 from claim) as claimed from take`;
      const limit = toRateLimitResult(bucket.policy, row);
      if (!limit.allowed) return { limit, reservation: null };
      if (row?.claimed) return { limit, reservation: { kind: "reserved" } };
      return { limit, reservation: (await lookup(request)) ?? (await reserve(request)) };
    },
    async complete(request, response, ttlSeconds = ttl) {
      await sql`
        update seed.idempotency_keys set state = 'completed', status = ${response.status},
          headers = ${sql.json(response.headers)}, body = ${Buffer.from(response.body)},
          expires_at = created_at + make_interval(secs => ${ttlSeconds})
        where key = ${request.key} and fingerprint = ${request.fingerprint} and state = 'in_flight'`;
    },
    async release(request) {
      await sql`
        delete from seed.idempotency_keys
        where key = ${request.key} and fingerprint = ${request.fingerprint} and state = 'in_flight'`;
    },
    async purgeExpired() {
      const result = await sql`delete from seed.idempotency_keys where expires_at <= now()`;
      return result.count;
    },
  };
}
