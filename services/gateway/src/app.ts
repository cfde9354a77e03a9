import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type AuthKeys, createTokenVerifier } from "@semente/platform/auth";
import type { RunEventsOptions } from "@semente/platform/bus";
import type { Admission } from "@semente/platform/admission";
import type { Sql } from "@semente/platform/db";
import { SementeError } from "@semente/core/errors";
import { createIdempotencyStore, createRateLimiter } from "@semente/platform/request-guards";
import { loadCostModel } from "@semente/platform/config";
import { type PipelineNames, pipelineNames } from "@semente/platform/pipeline";
import { type Logger, natsProbe, type Telemetry } from "@semente/platform/telemetry";
import { Elysia } from "elysia";
import type { GatewayConfig } from "./config.ts";
import { cacheManifestInputs, createParsePool } from "./http/manifest-cache.ts";
import { problemReply } from "./http/reply.ts";
import { cacheVerifiedTokens } from "./http/token-cache.ts";
import { createRequestChain } from "./http/chain.ts";
import type { Handler, RouteSpec } from "./http/context.ts";
import { createGatewayMetrics, type GatewayMetrics } from "./instrumentation.ts";
import { consoleRoutes, devTokenRoute } from "./routes/console.ts";
import { docsRoutes } from "./routes/docs.ts";
import { type RunEventsRouteOptions, runEventsRoute } from "./routes/events.ts";
import { healthRoute, metricsRoute, readyRoute } from "./routes/health.ts";
import { evidenceKeysRoute, evidenceRoute } from "./routes/evidence.ts";
import { listRunDlqRoute, replayDlqRoute } from "./routes/dlq.ts";
import { cancelRunRoute, createRunRoute, getRunRoute, listRunsRoute } from "./routes/runs.ts";
import { validateRoute } from "./routes/validate.ts";

/** Dependencies of `createGateway`. */
export interface GatewayDeps {
  /** Control-plane pool (`semente_app`). */
  sql: Sql;
  nc: NatsConnection;
  admission: Admission;
  /** Token keys. */
  keys: AuthKeys;
  log: Logger;
  config: GatewayConfig;
  /** Stream/subject prefix of run events (tests isolate themselves). */
  events?: RunEventsOptions;
  /** Clock of the window check. @default () => new Date() */
  now?: () => Date;
  /** @default a fresh registry */
  metrics?: GatewayMetrics;
  /** Tracer and export gate (`main.ts` starts them); without, spans are no-ops and no run is refused for telemetry. */
  telemetry?: Pick<Telemetry, "tracer" | "gate">;
  /** Tuning of the run events stream (tests shorten its periods). */
  runEvents?: RunEventsRouteOptions;
  /** The console's sign-in page mints dev tokens (`main.ts`: isolated dev only). @default false */
  consoleDevTokens?: boolean;
  /** Pipeline stream names the DLQ replay route reads and re-publishes to. @default unprefixed */
  pipeline?: PipelineNames;
}

/** The gateway: its Elysia app and the periodic purge `main.ts` schedules. */
export interface Gateway {
  app: Elysia;
  metrics: GatewayMetrics;
  /** Deletes expired idempotency keys and idle rate-limit buckets. */
  purgeExpired(): Promise<{ idempotencyKeys: number; rateLimitBuckets: number }>;
  /** Stops the manifest parser workers (the app stops with `app.stop()`). */
  close(): void;
}

const NOT_FOUND: RouteSpec = { name: "unmatched", method: "GET" };
/** Unauthenticated paths: ops endpoints and the evidence keys (the `ops` rate-limit policy). */
const PUBLIC = new Set<string>(["/healthz", "/readyz", "/metrics", "/api/v1/evidence/keys"]);

/** A registered path template and its methods: a request with another method gets 405 and `Allow`. */
interface PathMethods {
  template: string;
  methods: string[];
  pattern: RegExp;
}

/** The 405 table, derived from the routes the app registered (one source: the registrations). */
export function pathMethods(routes: readonly { method: string; path: string }[]): PathMethods[] {
  const byPath = new Map<string, Set<string>>();
  for (const r of routes) byPath.set(r.path, (byPath.get(r.path) ?? new Set()).add(r.method));
  return [...byPath].map(([template, methods]) => ({
    template,
    methods: [...methods].sort(),
    pattern: new RegExp(`^${template.replace(/:[a-z]+/g, "[^/]+")}$`),
  }));
}

/** Builds the gateway over injected clients; tests call `app.handle(new Request(…))` without a port. */
export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config } = deps;
  const metrics = deps.metrics ?? createGatewayMetrics();
  const now = deps.now ?? (() => new Date());
  const costModel = loadCostModel(config.costModelPath);
  const pool = createParsePool({ workers: config.parseWorkers, timeoutMs: config.parseTimeoutMs });
  const parser = cacheManifestInputs(pool.parse);
  const limiter = createRateLimiter(deps.sql);
  const idempotency = createIdempotencyStore(deps.sql, { ttlSeconds: config.idempotencyTtlSeconds.baseline });
  const run = createRequestChain({
    sql: deps.sql,
    log: deps.log,
    metrics,
    config,
    limiter,
    idempotency,
    verify: cacheVerifiedTokens(await createTokenVerifier(deps.keys)),
    tracer: deps.telemetry?.tracer,
  });
  const runs = {
    sql: deps.sql,
    admission: deps.admission,
    js: jetstream(deps.nc),
    brokerProbe: natsProbe(deps.nc),
    events: deps.events,
    costModel,
    parser,
    metrics,
    log: deps.log,
    maxBodyBytes: config.maxBodyBytes,
    queueTtlSeconds: config.queueTtlSeconds,
    idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    worm: config.worm ?? { s3Region: "us-east-1" },
    now,
    gate: deps.telemetry?.gate,
    tracer: deps.telemetry?.tracer,
  };
  // No API check: a gateway built while the broker is down still starts (and answers 503s).
  const dlq = {
    ...runs,
    jsm: await jetstreamManager(deps.nc, { checkAPI: false }),
    pipeline: deps.pipeline ?? pipelineNames(),
  };
  const health = { sql: deps.sql, nc: deps.nc, metrics };

  const clientIp = (request: Request, server: { requestIP(r: Request): { address: string } | null } | null) => {
    if (config.trustProxy) {
      const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
      if (forwarded) return forwarded;
    }
    return server?.requestIP(request)?.address ?? "unknown";
  };
  const route =
    (spec: RouteSpec, handler: Handler) =>
    ({
      request,
      params,
      server,
    }: {
      request: Request;
      params: Record<string, string>;
      server: Parameters<typeof clientIp>[1];
    }) =>
      run({ request, params, ip: clientIp(request, server) }, spec, handler);

  const consoleDeps = { environment: config.environment, keys: deps.keys, devTokens: deps.consoleDevTokens ?? false };
  let templates: PathMethods[] | undefined;
  const app = new Elysia()
    .onError(({ code, request, server }) => {
      const ip = clientIp(request, server);
      const path = new URL(request.url).pathname;
      templates ??= pathMethods(app.routes);
      const known = code === "NOT_FOUND" ? templates.find((t) => t.pattern.test(path)) : undefined;
      if (known !== undefined) {
        // The path exists, the method does not: 405 naming the methods that do.
        const spec: RouteSpec = { name: known.template, method: "GET", public: PUBLIC.has(known.template) };
        return run({ request, ip }, spec, async () => {
          const reply = problemReply(new SementeError("METHOD_NOT_ALLOWED", "method not allowed on this path"), path);
          return { ...reply, headers: { ...reply.headers, Allow: known.methods.join(", ") } };
        });
      }
      const error =
        code === "NOT_FOUND"
          ? new SementeError("NOT_FOUND", "no such route")
          : new SementeError("MALFORMED_INPUT", "request could not be processed");
      return run({ request, ip }, NOT_FOUND, async () => {
        throw error;
      });
    })
    .get("/healthz", route({ name: "/healthz", method: "GET", public: true }, healthRoute))
    .get("/readyz", route({ name: "/readyz", method: "GET", public: true }, readyRoute(health)))
    .get("/metrics", route({ name: "/metrics", method: "GET", public: true }, metricsRoute(health)))
    .post(
      "/api/v1/seed-profiles/validate",
      route(
        { name: "/api/v1/seed-profiles/validate", method: "POST" },
        validateRoute({
          costModel,
          parser,
          maxBodyBytes: config.maxBodyBytes,
          ttlSeconds: config.idempotencyTtlSeconds.baseline,
          now,
        }),
      ),
      { parse: "none" },
    )
    .post("/api/v1/seed-runs", route({ name: "/api/v1/seed-runs", method: "POST" }, createRunRoute(runs)), {
      parse: "none",
    })
    .get("/api/v1/seed-runs", route({ name: "/api/v1/seed-runs", method: "GET" }, listRunsRoute(runs)))
    .get("/api/v1/seed-runs/:id", route({ name: "/api/v1/seed-runs/:id", method: "GET" }, getRunRoute(runs)))
    .post(
      "/api/v1/seed-runs/:id/cancel",
      route({ name: "/api/v1/seed-runs/:id/cancel", method: "POST" }, cancelRunRoute(runs)),
      { parse: "none" },
    )
    .get("/api/v1/seed-runs/:id/dlq", route({ name: "/api/v1/seed-runs/:id/dlq", method: "GET" }, listRunDlqRoute(dlq)))
    .post(
      "/api/v1/seed-runs/:id/dlq/:entry/replay",
      route({ name: "/api/v1/seed-runs/:id/dlq/:entry/replay", method: "POST" }, replayDlqRoute(dlq)),
      { parse: "none" },
    )
    .get(
      "/api/v1/seed-runs/:id/events",
      route(
        { name: "/api/v1/seed-runs/:id/events", method: "GET" },
        runEventsRoute({ sql: deps.sql, log: deps.log, ...deps.runEvents }),
      ),
    )
    .get(
      "/api/v1/seed-runs/:id/evidence",
      route({ name: "/api/v1/seed-runs/:id/evidence", method: "GET" }, evidenceRoute(runs)),
    )
    .get(
      "/api/v1/evidence/keys",
      route({ name: "/api/v1/evidence/keys", method: "GET", public: true }, evidenceKeysRoute(runs)),
    );
  for (const [path, handler] of Object.entries({ ...consoleRoutes(consoleDeps), ...docsRoutes() })) {
    app.get(path, route({ name: path, method: "GET", public: true }, handler));
  }
  if (consoleDeps.devTokens) {
    app.post(
      "/console/dev-token",
      route({ name: "/console/dev-token", method: "POST", public: true }, devTokenRoute(consoleDeps)),
      { parse: "none" },
    );
  }

  return {
    app: app as unknown as Elysia,
    metrics,
    async purgeExpired() {
      const [idempotencyKeys, rateLimitBuckets] = await Promise.all([
        idempotency.purgeExpired(),
        limiter.purgeIdle(Math.max(...Object.values(config.rateLimits).map((p) => p.windowSeconds)) * 2),
      ]);
      return { idempotencyKeys, rateLimitBuckets };
    },
    close: () => pool.close(),
  };
}
