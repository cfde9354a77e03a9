import { isSementeError, SementeError } from "@semente/core/errors";
import {
  type IdempotencyStore,
  type IdempotentRequest,
  type RateLimitPolicy,
  type Reservation,
  requestFingerprint,
} from "@semente/platform/request-guards";
import { AUDITED } from "./context.ts";
import { encodeReply, problemReply, type Reply, toResponse } from "./reply.ts";

/** One request's side of {@link idempotentResponse}. */
export interface IdempotentCall {
  store: IdempotencyStore;
  /** The request's Idempotency-Key (the chain has checked it is present and well-formed). */
  key: string;
  method: string;
  path: string;
  principal: string;
  contentHash: string;
  ttlSeconds?: number;
  /** Reserves within the tenant's rate limit (the chain's `reserveWithin`); absent: no tenant token. */
  reserveWithin?: (idem: IdempotentRequest) => Promise<Reservation>;
  /** Records a refusal `produce` answered with (the chain's audit). */
  audit(error: SementeError): Promise<void>;
}

/**
 * Runs `produce` at most once per Idempotency-Key: a replay returns the stored response byte for
 * byte, another fingerprint is IDEMPOTENCY_CONFLICT, a duplicate in flight IDEMPOTENCY_IN_FLIGHT.
 * A 4xx `produce` throws is stored as its problem (and replayed); a 5xx releases the key.
 */
export async function idempotentResponse(call: IdempotentCall, produce: () => Promise<Reply>): Promise<Response> {
  const route = `${call.method} ${call.path}`;
  const idem = {
    key: call.key,
    principal: call.principal,
    route,
    fingerprint: requestFingerprint(route, call.principal, call.contentHash),
  };
  const found = call.reserveWithin === undefined ? await call.store.reserve(idem) : await call.reserveWithin(idem);
  if (found.kind === "replay") {
    const replay = toResponse(found.response);
    replay.headers.set("Idempotent-Replayed", "true");
    return replay;
  }
  if (found.kind === "conflict") {
    throw new SementeError("IDEMPOTENCY_CONFLICT", "Idempotency-Key already used for a different request");
  }
  if (found.kind === "in_flight") {
    throw new SementeError("IDEMPOTENCY_IN_FLIGHT", "a request with this Idempotency-Key is still in flight", {
      extensions: { retry_after: found.retryAfterSeconds },
    });
  }
  let reply: Reply;
  try {
    reply = await produce();
  } catch (error) {
    if (!isSementeError(error) || error.status >= 500) {
      await call.store.release(idem);
      throw error;
    }
    if (AUDITED.has(error.status)) await call.audit(error);
    reply = problemReply(error, call.path);
  }
  const encoded = encodeReply(reply);
  await call.store.complete(idem, encoded, call.ttlSeconds);
  return toResponse(encoded);
}

/** The tenant bucket of the request chain's rate limits. */
export const tenantBucket = (policy: RateLimitPolicy, tenant: string) => ({ policy, key: `tenant:${tenant}` });
