import { type Action, assertAllowed, type Principal } from "@semente/platform/auth";
import { appendAudit, type Sql } from "@semente/platform/db";
import { isSementeError, SementeError } from "@semente/core/errors";
import {
  createLocalRateLimiter,
  type IdempotencyStore,
  type IdempotentRequest,
  type RateLimiter,
  type RateLimitPolicy,
  type RateLimitResult,
  type Reservation,
  type ReservationWithinLimit,
  rateLimitHeaders,
  requestFingerprint,
} from "@semente/platform/governance";
import { isSpanContextValid, type Span, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import {
  childTraceContext,
  extractTraceHeaders,
  formatTraceparent,
  type Logger,
  parseTraceparent,
  SpanKind,
  sementeTracer,
  type TraceContext,
  traceContextOf,
  withLabels,
} from "@semente/platform/telemetry";
import type { GatewayConfig } from "../config.ts";
import type { GatewayMetrics } from "../instrumentation.ts";
import type { ManifestInput } from "./manifest-input.ts";
import { encodeReply, problemReply, type Reply, toResponse } from "./reply.ts";

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

/** Dependencies of the request chain. */
export interface RequestChainDeps {
  sql: Sql;
  log: Logger;
  metrics: GatewayMetrics;
  config: GatewayConfig;
  limiter: RateLimiter;
  /**
   * Used while `limiter` (the shared store) is unreachable, so limits still hold per replica and
   * every response, readiness failures included, carries the RateLimit fields.
   * @default in-process token buckets
   */
  fallbackLimiter?: RateLimiter;
  idempotency: IdempotencyStore;
  verify: (token: string) => Promise<Principal>;
  /** @default the global tracer (no-op until telemetry is started) */
  tracer?: Tracer;
}

const ANONYMOUS: Principal = { subject: "anonymous", roles: [], tenants: [], environments: [], expiresAt: 0 };
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** Refusals written to the audit log (R5, issue item 7). */
const AUDITED = new Set([401, 403, 409, 412, 422, 428, 429]);

function rateLimited(results: RateLimitResult[]): SementeError | undefined {
  const denied = results.filter((r) => !r.allowed);
  if (denied.length === 0) return undefined;
  const retry = Math.max(...denied.map((r) => r.retryAfterSeconds));
  return new SementeError("RATE_LIMITED", `rate limit '${denied[0]?.policy.name}' exceeded`, {
    extensions: { retry_after: retry, policy: denied[0]?.policy.name },
  });
}

/** The per-request governance around every route: trace, auth, rate limits, idempotency, problems, audit, metrics. */
export function createRequestChain(deps: RequestChainDeps) {
  const { config, limiter, metrics } = deps;
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

  async function authenticate(request: Request): Promise<Principal> {
    const header = request.headers.get("authorization");
    if (header === null || header.trim() === "") throw new SementeError("UNAUTHENTICATED", "missing bearer token");
    const m = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
    if (m === null) throw new SementeError("UNAUTHENTICATED", "malformed Authorization header");
    return deps.verify(m[1] as string);
  }

  async function audit(principal: Principal, scope: RequestScope, spec: RouteSpec, error: SementeError, log: Logger) {
    try {
      await appendAudit(deps.sql, {
        actor: principal.subject,
        action: "http.refuse",
        outcome: "refused",
        tenantId: scope.tenant,
        environment: scope.environment,
        runId: scope.run,
        reason: error.code,
        details: { route: spec.name, method: spec.method, status: error.status },
      });
    } catch (cause) {
      // The refusal stands either way; a failed audit write is logged loudly rather than turning a 4xx into a 500.
      log.error({ err: cause, code: error.code }, "audit write failed for a refusal");
    }
  }

  type Input = { request: Request; params?: Record<string, string>; ip: string };

  /** Every request runs in a SERVER span, child of the caller's `traceparent`/`tracestate`. */
  return function run(input: Input, spec: RouteSpec, handler: Handler): Promise<Response> {
    const headers = input.request.headers;
    const parent = extractTraceHeaders({ get: (k) => headers.get(k), set: () => undefined });
    const tracer = deps.tracer ?? sementeTracer();
    const attributes = { "http.request.method": spec.method, "http.route": spec.name };
    return tracer.startActiveSpan(
      `${spec.method} ${spec.name}`,
      { kind: SpanKind.SERVER, attributes },
      parent,
      async (span) => {
        try {
          const response = await handle(input, spec, handler, span);
          span.setAttribute("http.response.status_code", response.status);
          if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          return response;
        } finally {
          span.end();
        }
      },
    );
  };

  async function handle(input: Input, spec: RouteSpec, handler: Handler, span: Span): Promise<Response> {
    const started = performance.now();
    const { request } = input;
    const url = new URL(request.url);
    // Without a started SDK the span is a no-op with zero ids: keep W3C semantics by hand.
    const trace = isSpanContextValid(span.spanContext())
      ? traceContextOf(span)
      : childTraceContext(parseTraceparent(request.headers.get("traceparent")));
    const limits: RateLimitResult[] = [];
    const scope: RequestScope = {};
    let principal = ANONYMOUS;
    let labelledLog: Logger | undefined;
    let labelledFor = "";
    // A child logger per request is costly: build it once per scope the request reaches.
    const labelled = () => {
      const key = `${scope.tenant}\n${scope.environment}\n${scope.run}`;
      if (labelledLog === undefined || key !== labelledFor) {
        labelledFor = key;
        labelledLog = withLabels(deps.log, {
          tenant: scope.tenant ?? null,
          environment: scope.environment ?? null,
          run: scope.run ?? null,
        });
      }
      return labelledLog;
    };

    const fail = async (error: unknown): Promise<Response> => {
      const log = labelled();
      if (!isSementeError(error)) log.error({ err: error, route: spec.name }, "unhandled error");
      if (isSementeError(error) && AUDITED.has(error.status)) await audit(principal, scope, spec, error, log);
      else if (isSementeError(error) && isSementeError(error.cause) && AUDITED.has(error.cause.status)) {
        // A refusal answered as something else (another tenant's run as 404) is audited as what it was,
        // without waiting for the write, so the answer takes as long as the one it imitates.
        void audit(principal, scope, spec, error.cause, log);
      }
      return toResponse(encodeReply(problemReply(error, url.pathname)));
    };

    let response: Response;
    try {
      let authError: unknown;
      if (!spec.public) {
        try {
          principal = await authenticate(request);
        } catch (error) {
          authError = error;
        }
      }
      if (spec.public) await take(config.rateLimits.ops, `ops:${input.ip}`, limits);
      else if (authError === undefined)
        await take(config.rateLimits.principal, `principal:${principal.subject}`, limits);
      else await take(config.rateLimits.ip, `ip:${input.ip}`, limits);
      if (authError !== undefined) throw authError;

      const key = request.headers.get("idempotency-key");
      if (spec.method === "POST" && !spec.public && (key === null || !IDEMPOTENCY_KEY.test(key))) {
        throw new SementeError(
          "IDEMPOTENCY_KEY_REQUIRED",
          key === null
            ? "Idempotency-Key header required on every POST"
            : "Idempotency-Key must be 1-255 visible ASCII characters",
        );
      }
      const reserveWithin = async (idem: IdempotentRequest, tenant: string): Promise<Reservation> => {
        const bucket = { policy: config.rateLimits.tenant, key: `tenant:${tenant}` };
        let gated: ReservationWithinLimit;
        try {
          gated = await deps.idempotency.reserveWithin(idem, bucket);
        } catch (cause) {
          // The combined statement failed: take the two steps apart, so the limiter's fallback applies.
          labelled().warn({ err: cause }, "combined rate limit and idempotency reservation failed");
          await take(bucket.policy, bucket.key, limits);
          return deps.idempotency.reserve(idem);
        }
        limits.push(gated.limit);
        const refusal = rateLimited([gated.limit]);
        if (refusal !== undefined || gated.reservation === null) {
          metrics.rateLimited.inc({ policy: bucket.policy.name });
          throw refusal ?? new SementeError("RATE_LIMITED", `rate limit '${bucket.policy.name}' exceeded`);
        }
        return gated.reservation;
      };
      const ctx: RequestContext = {
        request,
        url,
        params: input.params ?? {},
        principal,
        trace,
        span,
        get log() {
          return labelled();
        },
        scope,
        authorize(action, target) {
          Object.assign(scope, target);
          assertAllowed(principal, action, target);
        },
        limitTenant: (tenant) => take(config.rateLimits.tenant, `tenant:${tenant}`, limits),
        async idempotent(contentHash, produce, ttlSeconds, limit) {
          const idem = {
            key: key as string,
            principal: principal.subject,
            route: `${spec.method} ${url.pathname}`,
            fingerprint: requestFingerprint(`${spec.method} ${url.pathname}`, principal.subject, contentHash),
          };
          const found =
            limit?.tenant === undefined
              ? await deps.idempotency.reserve(idem)
              : await reserveWithin(idem, limit.tenant);
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
              await deps.idempotency.release(idem);
              throw error;
            }
            if (AUDITED.has(error.status)) await audit(principal, scope, spec, error, labelled());
            reply = problemReply(error, url.pathname);
          }
          const encoded = encodeReply(reply);
          await deps.idempotency.complete(idem, encoded, ttlSeconds);
          return toResponse(encoded);
        },
      };
      const result = await handler(ctx);
      response = result instanceof Response ? result : toResponse(encodeReply(result));
    } catch (error) {
      response = await fail(error);
    }
    for (const [name, value] of Object.entries(rateLimitHeaders(limits))) response.headers.set(name, value);
    response.headers.set("traceparent", formatTraceparent(trace));
    const seconds = (performance.now() - started) / 1000;
    metrics.requests.inc({ route: spec.name, method: spec.method, status: String(response.status) });
    metrics.latency.observe({ route: spec.name, method: spec.method }, seconds);
    if (deps.log.isLevelEnabled("info")) {
      labelled().info(
        {
          route: spec.name,
          method: spec.method,
          status: response.status,
          duration_ms: Math.round(seconds * 1000),
          trace_id: trace.traceId,
          principal: principal.subject,
        },
        "request",
      );
    }
    return response;
  }
}

export type RequestChain = ReturnType<typeof createRequestChain>;

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
