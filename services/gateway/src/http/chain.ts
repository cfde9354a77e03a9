import { assertAllowed, type Principal } from "@semente/platform/auth";
import { appendAudit, type Sql } from "@semente/platform/db";
import { isSementeError, SementeError } from "@semente/core/errors";
import {
  type IdempotencyStore,
  type RateLimiter,
  type RateLimitResult,
  rateLimitHeaders,
} from "@semente/platform/request-guards";
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
import { AUDITED, type Handler, type RequestContext, type RequestScope, type RouteSpec } from "./context.ts";
import { assertServedEnvironment } from "./environment.ts";
import { idempotentResponse, tenantBucket } from "./idempotent.ts";
import { createChainLimits } from "./limits.ts";
import { encodeReply, problemReply, toResponse } from "./reply.ts";

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

type Input = { request: Request; params?: Record<string, string>; ip: string };

/** What one request has learnt so far: who, about what, with which limits, and its labelled log. */
interface RequestState {
  spec: RouteSpec;
  url: URL;
  trace: TraceContext;
  principal: Principal;
  scope: RequestScope;
  limits: RateLimitResult[];
  log(): Logger;
}

/** A child logger per request is costly: build it once per scope the request reaches. */
function labelledLogger(base: Logger, scope: RequestScope): () => Logger {
  let labelled: Logger | undefined;
  let labelledFor = "";
  return () => {
    const key = `${scope.tenant}\n${scope.environment}\n${scope.run}`;
    if (labelled === undefined || key !== labelledFor) {
      labelledFor = key;
      labelled = withLabels(base, {
        tenant: scope.tenant ?? null,
        environment: scope.environment ?? null,
        run: scope.run ?? null,
      });
    }
    return labelled;
  };
}

function bearerToken(request: Request): string {
  const header = request.headers.get("authorization");
  if (header === null || header.trim() === "") throw new SementeError("UNAUTHENTICATED", "missing bearer token");
  const m = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  if (m === null) throw new SementeError("UNAUTHENTICATED", "malformed Authorization header");
  return m[1] as string;
}

/** The Idempotency-Key every authenticated POST must carry (null on other requests). */
function idempotencyKey(request: Request, spec: RouteSpec): string | null {
  const key = request.headers.get("idempotency-key");
  if (spec.method === "POST" && !spec.public && (key === null || !IDEMPOTENCY_KEY.test(key))) {
    throw new SementeError(
      "IDEMPOTENCY_KEY_REQUIRED",
      key === null
        ? "Idempotency-Key header required on every POST"
        : "Idempotency-Key must be 1-255 visible ASCII characters",
    );
  }
  return key;
}

/**
 * The request chain around every route: trace, auth, rate limits, idempotency, problems, audit,
 * metrics. (Not to be confused with the batch pipeline of `@semente/platform/pipeline`.)
 */
export function createRequestChain(deps: RequestChainDeps) {
  const { config, metrics } = deps;
  const limits = createChainLimits(deps);

  async function audit(state: RequestState, error: SementeError): Promise<void> {
    try {
      await appendAudit(deps.sql, {
        actor: state.principal.subject,
        action: "http.refuse",
        outcome: "refused",
        tenantId: state.scope.tenant,
        environment: state.scope.environment,
        runId: state.scope.run,
        reason: error.code,
        details: { route: state.spec.name, method: state.spec.method, status: error.status },
      });
    } catch (cause) {
      // The refusal stands either way; a failed audit write is logged loudly rather than turning a 4xx into a 500.
      state.log().error({ err: cause, code: error.code }, "audit write failed for a refusal");
    }
  }

  async function fail(state: RequestState, error: unknown): Promise<Response> {
    if (!isSementeError(error)) state.log().error({ err: error, route: state.spec.name }, "unhandled error");
    if (isSementeError(error) && AUDITED.has(error.status)) await audit(state, error);
    else if (isSementeError(error) && isSementeError(error.cause) && AUDITED.has(error.cause.status)) {
      // A refusal answered as something else (another tenant's run as 404) is audited as what it was,
      // without waiting for the write, so the answer takes as long as the one it imitates.
      void audit(state, error.cause);
    }
    return toResponse(encodeReply(problemReply(error, state.url.pathname)));
  }

  /** Authenticates (unless public) and takes the token of the policy that applies to the caller. */
  async function admitCaller(state: RequestState, request: Request, ip: string): Promise<void> {
    if (state.spec.public) return limits.take(config.rateLimits.ops, `ops:${ip}`, state.limits);
    let principal: Principal;
    try {
      principal = await deps.verify(bearerToken(request));
    } catch (error) {
      await limits.take(config.rateLimits.ip, `ip:${ip}`, state.limits);
      throw error;
    }
    state.principal = principal;
    await limits.take(config.rateLimits.principal, `principal:${principal.subject}`, state.limits);
  }

  function contextOf(state: RequestState, input: Input, span: Span, key: string | null): RequestContext {
    const { spec, url, scope } = state;
    return {
      request: input.request,
      url,
      params: input.params ?? {},
      principal: state.principal,
      trace: state.trace,
      span,
      get log() {
        return state.log();
      },
      scope,
      authorize(action, target) {
        Object.assign(scope, target);
        assertAllowed(state.principal, action, target);
        assertServedEnvironment(config.environment, target.environment);
      },
      limitTenant: (tenant) => limits.take(config.rateLimits.tenant, `tenant:${tenant}`, state.limits),
      idempotent: (contentHash, produce, ttlSeconds, limit) =>
        idempotentResponse(
          {
            store: deps.idempotency,
            key: key as string,
            method: spec.method,
            path: url.pathname,
            principal: state.principal.subject,
            contentHash,
            ttlSeconds,
            reserveWithin:
              limit?.tenant === undefined
                ? undefined
                : (idem) =>
                    limits.reserveWithin(
                      idem,
                      tenantBucket(config.rateLimits.tenant, limit.tenant as string),
                      state.limits,
                      state.log(),
                    ),
            audit: (error) => audit(state, error),
          },
          produce,
        ),
    };
  }

  /** RateLimit and traceparent headers, metrics and the access log line of a finished request. */
  function finish(state: RequestState, response: Response, started: number): Response {
    for (const [name, value] of Object.entries(rateLimitHeaders(state.limits))) response.headers.set(name, value);
    response.headers.set("traceparent", formatTraceparent(state.trace));
    const { spec } = state;
    const seconds = (performance.now() - started) / 1000;
    metrics.requests.inc({ route: spec.name, method: spec.method, status: String(response.status) });
    metrics.latency.observe({ route: spec.name, method: spec.method }, seconds);
    if (deps.log.isLevelEnabled("info")) {
      state.log().info(
        {
          route: spec.name,
          method: spec.method,
          status: response.status,
          duration_ms: Math.round(seconds * 1000),
          trace_id: state.trace.traceId,
          principal: state.principal.subject,
        },
        "request",
      );
    }
    return response;
  }

  async function handle(input: Input, spec: RouteSpec, handler: Handler, span: Span): Promise<Response> {
    const started = performance.now();
    const { request } = input;
    const scope: RequestScope = {};
    const state: RequestState = {
      spec,
      url: new URL(request.url),
      // Without a started SDK the span is a no-op with zero ids: keep W3C semantics by hand.
      trace: isSpanContextValid(span.spanContext())
        ? traceContextOf(span)
        : childTraceContext(parseTraceparent(request.headers.get("traceparent"))),
      principal: ANONYMOUS,
      scope,
      limits: [],
      log: labelledLogger(deps.log, scope),
    };
    let response: Response;
    try {
      await admitCaller(state, request, input.ip);
      const result = await handler(contextOf(state, input, span, idempotencyKey(request, spec)));
      response = result instanceof Response ? result : toResponse(encodeReply(result));
    } catch (error) {
      response = await fail(state, error);
    }
    return finish(state, response, started);
  }

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
}

export type RequestChain = ReturnType<typeof createRequestChain>;
