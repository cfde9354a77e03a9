import type { JetStreamClient } from "@nats-io/jetstream";
import { Action, canSee } from "@semente/platform/auth";
import type { Admission, RunEventsOptions } from "@semente/platform/bus";
import { publishRunEvent } from "@semente/platform/bus";
import type { Sql } from "@semente/platform/db";
import type { WormReadOptions } from "@semente/platform/evidence";
import { isSementeError, SementeError, toProblem } from "@semente/core/errors";
import {
  type CostModel,
  estimateCost,
  assertWithinWindow,
  type Manifest,
  type Mode,
  plannedRows,
} from "@semente/core/manifest";
import {
  createRun,
  getRun,
  isRunState,
  listRuns,
  type Run,
  runEtag,
  toRunResource,
  transitionRun,
  withdrawRun,
} from "@semente/platform/runs";
import {
  type ExportGate,
  inSpan,
  type Logger,
  RunSpan,
  recordRunSpan,
  sementeTracer,
  traceContextOf,
} from "@semente/platform/telemetry";
import type { Tracer } from "@opentelemetry/api";
import type { GatewayMetrics } from "../instrumentation.ts";
import { assertManifestMedia, isJsonMedia, readText } from "../http/body.ts";
import type { ManifestParser } from "../http/manifest-cache.ts";
import { authorizeManifest, authorizeRole, type Handler, type RequestContext } from "../http/context.ts";
import type { Reply } from "../http/reply.ts";

/** Dependencies of the seed-runs routes. */
export interface RunsDeps {
  sql: Sql;
  admission: Admission;
  js: JetStreamClient;
  /** Resolves when the broker answers now (a round trip); rejects at once while it is disconnected. */
  brokerProbe: () => Promise<unknown>;
  events?: RunEventsOptions;
  costModel: CostModel;
  /** Manifest parser (the gateway shares one caching worker pool between routes). */
  parser: ManifestParser;
  metrics: GatewayMetrics;
  log: Logger;
  maxBodyBytes: number;
  queueTtlSeconds: number;
  idempotencyTtlSeconds: Record<Mode, number>;
  /** How `GET …/evidence` reads stored WORM objects back. */
  worm: WormReadOptions;
  now: () => Date;
  /** Trace export gate: in staging/prod a run is refused while export has been down past its bound. */
  gate?: ExportGate;
  /** @default the global tracer */
  tracer?: Tracer;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function runReply(status: number, run: Run): Reply {
  return {
    status,
    headers: { ETag: runEtag(run), Location: `/api/v1/seed-runs/${run.id}`, "Cache-Control": "no-cache" },
    json: toRunResource(run),
  };
}

/**
 * Loads a run the principal may act on. The role is checked first (403, whatever the id); a run
 * outside the principal's tenants or environments is answered exactly like an unknown or malformed
 * id (404), so the answer tells nothing about other tenants' runs. The hidden refusal is still audited.
 */
export async function loadRun(deps: RunsDeps, ctx: RequestContext, action: Action): Promise<Run> {
  authorizeRole(ctx, action);
  const id = ctx.params.id ?? "";
  const run = UUID.test(id) ? await getRun(deps.sql, id.toLowerCase()) : null;
  const scope = run === null ? undefined : { tenant: run.tenantId, environment: run.environment, run: run.id };
  try {
    if (run === null || scope === undefined) throw new SementeError("NOT_FOUND", "run not found");
    ctx.authorize(action, scope);
    return run;
  } catch (error) {
    throw error instanceof SementeError && error.code === "FORBIDDEN"
      ? new SementeError("NOT_FOUND", "run not found", { cause: error })
      : error;
  }
}

const BROKER_RETRY_AFTER_S = 5;

function brokerDown(cause: unknown): SementeError {
  return new SementeError(
    "UNAVAILABLE",
    "NATS broker unavailable: no run was created; retry with the same Idempotency-Key",
    {
      cause,
      retryable: true,
      extensions: { retry_after: BROKER_RETRY_AFTER_S, checks: { nats: "down" } },
    },
  );
}

/**
 * Submits a freshly created run; when admission fails for a reason other than a refusal of its
 * own (the broker's KV or stream did not answer), the run is withdrawn so that the 503 leaves
 * nothing behind and the released Idempotency-Key creates exactly one run on retry.
 */
async function submitOrWithdraw(deps: RunsDeps, ctx: RequestContext, created: Run) {
  try {
    return await deps.admission.submit(created);
  } catch (error) {
    if (isSementeError(error) && error.status < 500) throw error;
    const down = brokerDown(error);
    const withdrawn = await withdrawRun(deps.sql, created, toProblem(down), ctx.principal.subject);
    ctx.log.error({ err: error, withdrawn }, "admission failed; run withdrawn");
    throw withdrawn ? down : error;
  }
}

/**
 * Checks the window and the budget, creates the run `queued` and submits it to admission: what
 * `POST /api/v1/seed-runs` does once the manifest is parsed, and what a DLQ replay's resume run does.
 */
export async function admitManifest(
  deps: RunsDeps,
  ctx: RequestContext,
  manifest: Manifest,
  input: { dryRun: boolean; hash: string },
): Promise<Run> {
  const now = deps.now();
  assertWithinWindow(manifest.window, now);
  const cost = estimateCost(manifest, deps.costModel);
  if (cost.overBudget) {
    throw new SementeError("BUDGET_EXCEEDED", "estimated cost is over the manifest's budget", {
      errors: [{ pointer: "/budget/max_cost", message: `estimate is ${Math.round(cost.ratio * 100)} % of the budget` }],
    });
  }
  // A run created while the broker is down could be neither admitted nor expired (the queue
  // lives in KV): refuse before writing anything.
  await deps.brokerProbe().catch((error) => {
    throw brokerDown(error);
  });
  const created = await createRun(deps.sql, {
    environment: manifest.metadata.environment,
    tenantId: manifest.metadata.tenant,
    mode: manifest.mode,
    dryRun: input.dryRun,
    manifestHash: input.hash.replace(/^sha256:/, ""),
    manifestVersion: manifest.metadata.version,
    manifest,
    referenceDatetime: manifest.reference_datetime,
    keyVersion: manifest.key_version,
    principal: ctx.principal.subject,
    queuedUntil: new Date(now.getTime() + deps.queueTtlSeconds * 1000),
    traceId: ctx.trace.traceId,
    rowsPlanned: plannedRows(manifest).total,
  });
  ctx.scope.run = created.id;
  const admitting = performance.now();
  const tracer = deps.tracer ?? sementeTracer();
  const attributes = {
    "semente.run_id": created.id,
    "semente.tenant": created.tenantId,
    "semente.environment": created.environment,
    "semente.mode": created.mode,
  };
  const decision = await inSpan(tracer, RunSpan.admission, { attributes }, async (span) => {
    // Recorded before the submit: the planner parents its run span on the admission span.
    await recordRunSpan(deps.sql, created.id, "gateway", RunSpan.request, ctx.span);
    await recordRunSpan(deps.sql, created.id, "gateway", RunSpan.admission, span, traceContextOf(ctx.span).spanId);
    const result = await submitOrWithdraw(deps, ctx, created);
    span.setAttribute("semente.decision", result.state);
    return result;
  });
  const labels = { environment: created.environment, decision: decision.state };
  deps.metrics.admissionLatency.observe(labels, (performance.now() - admitting) / 1000);
  deps.metrics.admissions.inc(labels);
  ctx.log.info({ decision: decision.state }, "admission decision");
  return decision.run;
}

/** `POST /api/v1/seed-runs`: validates, creates the run `queued`, then submits it to admission (202). */
export function createRunRoute(deps: RunsDeps): Handler {
  return async (ctx) => {
    // Everything the headers tell is checked before a byte of the body is read.
    authorizeRole(ctx, Action.create);
    assertManifestMedia(ctx.request);
    const text = await readText(ctx.request, deps.maxBodyBytes);
    const input = await deps.parser({ kind: "run", text, json: isJsonMedia(ctx.request) }, ctx.principal.subject);
    authorizeManifest(ctx, Action.create, input);
    const manifest = input.parsed?.manifest;
    // Fail closed before anything is reserved or written: a run must not start blind (T067).
    deps.gate?.assertOpen();
    const ttl = deps.idempotencyTtlSeconds[manifest?.mode ?? "baseline"];
    return ctx.idempotent(
      input.hash,
      async () => {
        if (input.parsed === undefined || manifest === undefined) throw input.error;
        return runReply(
          202,
          await admitManifest(deps, ctx, manifest, { dryRun: input.dryRun, hash: input.parsed.hash }),
        );
      },
      ttl,
      // The tenant's token is taken with the reservation, in one round trip.
      { tenant: manifest?.metadata.tenant },
    );
  };
}

/** `GET /api/v1/seed-runs/:id`: 200 with a strong ETag, 304 when `If-None-Match` matches. */
export function getRunRoute(deps: RunsDeps): Handler {
  return async (ctx) => {
    const run = await loadRun(deps, ctx, Action.read);
    const etag = runEtag(run);
    const match = ctx.request.headers.get("if-none-match");
    if (match !== null && (match.trim() === "*" || match.split(",").some((t) => t.trim() === etag))) {
      return { status: 304, headers: { ETag: etag, "Cache-Control": "no-cache" } };
    }
    const reply = runReply(200, run);
    delete reply.headers?.Location;
    return reply;
  };
}

/** `POST /api/v1/seed-runs/:id/cancel`: `If-Match` required (428), stale (412), else 202 and the run `cancelled`. */
export function cancelRunRoute(deps: RunsDeps): Handler {
  return async (ctx) => {
    const run = await loadRun(deps, ctx, Action.cancel);
    const ifMatch = ctx.request.headers.get("if-match");
    return ctx.idempotent(`cancel\n${ifMatch ?? ""}`, async () => {
      if (ifMatch === null || ifMatch.trim() === "") {
        throw new SementeError("PRECONDITION_REQUIRED", "If-Match with the run's ETag is required to cancel");
      }
      const current = await getRun(deps.sql, run.id);
      const tags = ifMatch.split(",").map((t) => t.trim());
      if (current === null) throw new SementeError("NOT_FOUND", "run not found");
      if (!tags.includes(runEtag(current)) && !tags.includes("*")) {
        throw new SementeError("PRECONDITION_FAILED", "the run changed since the representation you hold", {
          extensions: { current_etag: runEtag(current) },
        });
      }
      const reason = toProblem(
        new SementeError("INVALID_STATE", "cancelled on request"),
        `/api/v1/seed-runs/${run.id}`,
      );
      const cancelled = await transitionRun(deps.sql, run.id, {
        to: "cancelled",
        expectedVersion: current.etagVersion,
        reason: { ...reason, title: "Cancelled", detail: `cancelled by ${ctx.principal.subject}` },
        actor: ctx.principal.subject,
      });
      await deps.admission.release(run.id);
      try {
        await publishRunEvent(deps.js, cancelled, "cancelled", deps.events);
      } catch (error) {
        // PostgreSQL is the source of truth and the run is cancelled there; a missed event is logged, not undone.
        ctx.log.error({ err: error }, "run event publish failed after cancel");
      }
      return runReply(202, cancelled);
    });
  };
}

/** `GET /api/v1/seed-runs?tenant=&environment=&state=&limit=&cursor=`: keyset-paginated, newest first. */
export function listRunsRoute(deps: RunsDeps): Handler {
  return async (ctx) => {
    const q = ctx.url.searchParams;
    const single = (values: string[]) => (values.length === 1 && values[0] !== "*" ? values[0] : undefined);
    const tenant = q.get("tenant") ?? single(ctx.principal.tenants);
    const environment = q.get("environment") ?? single(ctx.principal.environments);
    const state = q.get("state") ?? undefined;
    const limitText = q.get("limit") ?? "20";
    const issues: { pointer: string; message: string }[] = [];
    if (!/^\d{1,3}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 100) {
      issues.push({ pointer: "/query/limit", message: "must be an integer between 1 and 100" });
    }
    if (state !== undefined && !isRunState(state))
      issues.push({ pointer: "/query/state", message: "unknown run state" });
    const cursor = q.get("cursor") ?? undefined;
    if (cursor !== undefined && cursor.length > 512) issues.push({ pointer: "/query/cursor", message: "too long" });
    if (issues.length > 0)
      throw new SementeError("VALIDATION_FAILED", "invalid query", { errors: issues, status: 400 });
    if (tenant === undefined && !ctx.principal.tenants.includes("*")) {
      throw new SementeError("FORBIDDEN", "this token spans several tenants: filter by tenant");
    }
    if (environment === undefined && !ctx.principal.environments.includes("*")) {
      throw new SementeError("FORBIDDEN", "this token spans several environments: filter by environment");
    }
    ctx.authorize(Action.read, { tenant, environment });
    if (tenant !== undefined) await ctx.limitTenant(tenant);
    const page = await listRuns(deps.sql, {
      tenant,
      environment,
      state: state as Run["state"] | undefined,
      limit: Number(limitText),
      cursor,
    });
    const items = page.runs.filter((r) => canSee(ctx.principal, r.tenantId, r.environment)).map(toRunResource);
    return { status: 200, json: { items, next_cursor: page.nextCursor } };
  };
}
