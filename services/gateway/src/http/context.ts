import type { Action, Principal } from "@semente/platform/auth";
import type { Span } from "@opentelemetry/api";
import type { Logger, TraceContext } from "@semente/platform/telemetry";
import type { ManifestInput } from "./manifest-input.ts";
import type { Reply } from "./reply.ts";

/** A route as the request chain sees it. */
export interface RouteSpec {
  /** Route template (`/api/v1/seed-runs/:id`): the metrics label and part of the idempotency fingerprint. */
  name: string;
  method: "GET" | "POST";
  /** Ops endpoints: no token, the `ops` rate-limit policy. */
  public?: boolean;
}

/** Tenant, environment and run a request concerns, once known (log labels and audit rows). */
export interface RequestScope {
  tenant?: string;
  environment?: string;
  run?: string;
}

/** What a handler gets. */
export interface RequestContext {
  request: Request;
  url: URL;
  params: Record<string, string>;
  /** The verified caller; on public routes a placeholder with no roles. */
  principal: Principal;
  /** Context of the request's server span (the run's trace id comes from it). */
  trace: TraceContext;
  /** The request's server span (a no-op span while tracing is not started). */
  span: Span;
  log: Logger;
  scope: RequestScope;
  /** RBAC/ABAC check that also records the scope for labels and audit. */
  authorize(action: Action, scope: RequestScope): void;
  /** Takes a token from the tenant's bucket; throws RATE_LIMITED when it is empty. */
  limitTenant(tenant: string): Promise<void>;
  /**
   * Runs `produce` at most once per Idempotency-Key: a replay returns the stored response byte for byte,
   * another fingerprint is IDEMPOTENCY_CONFLICT, a duplicate in flight IDEMPOTENCY_IN_FLIGHT.
   * With `limit.tenant`, takes the tenant's token first, as `limitTenant` would, in the same round trip.
   */
  idempotent(
    contentHash: string,
    produce: () => Promise<Reply>,
    ttlSeconds?: number,
    limit?: { tenant?: string },
  ): Promise<Response>;
}

export type Handler = (ctx: RequestContext) => Promise<Reply | Response>;

/** Refusals written to the audit log (R5, issue item 7). */
export const AUDITED: ReadonlySet<number> = new Set([401, 403, 409, 412, 422, 428, 429]);

/**
 * What can be decided before the body is read: the role allows the action. (A token naming no
 * tenant or environment never gets this far: the verifier refuses it, 401.)
 */
export function authorizeRole(ctx: RequestContext, action: Action): void {
  ctx.authorize(action, {});
}

/**
 * The manifest's tenant and environment against the token. A manifest that did not parse has no
 * trusted scope: the role (already checked) decides who sees its 422, which only describes the
 * caller's own input.
 */
export function authorizeManifest(ctx: RequestContext, action: Action, input: ManifestInput): void {
  const metadata = input.parsed?.manifest.metadata;
  if (metadata !== undefined) ctx.authorize(action, { tenant: metadata.tenant, environment: metadata.environment });
}
