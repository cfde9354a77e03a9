import type { JetStreamClient } from "@nats-io/jetstream";
import { Action, canSee } from "@semente/platform/auth";
import type { RunEventsOptions } from "@semente/platform/bus";
import type { Admission } from "@semente/platform/admission";
import { publishRunEvent } from "@semente/platform/bus";
import type { Sql } from "@semente/platform/db";
import type { WormReadOptions } from "@semente/platform/evidence";
import { SementeError, toProblem } from "@semente/core/errors";
import type { CostModel, Manifest, Mode } from "@semente/core/manifest";
import { getRun, isRunState, listRuns, type Run, runEtag, toRunResource, transitionRun } from "@semente/platform/runs";
import type { ExportGate, Logger } from "@semente/platform/telemetry";
import type { Tracer } from "@opentelemetry/api";
import type { GatewayMetrics } from "../instrumentation.ts";
import { assertManifestMedia, isJsonMedia, readText } from "../http/body.ts";
import type { ManifestParser } from "../http/manifest-cache.ts";
import { authorizeManifest, authorizeRole, type Handler, type RequestContext } from "../http/context.ts";
import type { Reply } from "../http/reply.ts";
import { admitManifest, createPurge } from "./admit.ts";

export { admitManifest } from "./admit.ts";

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

/** The 202/200 reply of a run: its resource with ETag and Location. */
export function runReply(status: number, run: Run): Reply {
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

/**
 * `POST /api/v1/seed-runs`: validates, creates the run `queued`, then submits it to admission
 * (202). `operation` `reseed` and `purge` need the admin role for the tenant and environment.
 */
export function createRunRoute(deps: RunsDeps): Handler {
  return async (ctx) => {
    // Everything the headers tell is checked before a byte of the body is read.
    authorizeRole(ctx, Action.create);
    assertManifestMedia(ctx.request);
    const text = await readText(ctx.request, deps.maxBodyBytes);
    const input = await deps.parser({ kind: "run", text, json: isJsonMedia(ctx.request) }, ctx.principal.subject);
    if (input.operation === "purge") return createPurge(deps, ctx, input);
    const operation = input.operation === "reseed" || input.operation === "dr_drill" ? input.operation : "seed";
    // A reseed and a DR drill delete the tenant's data first: admin only.
    if (operation !== "seed") authorizeRole(ctx, Action.purge);
    authorizeManifest(ctx, operation === "seed" ? Action.create : Action.purge, input);
    const manifest = input.parsed?.manifest;
    if (operation === "dr_drill" && manifest !== undefined) assertDrillManifest(manifest);
    // Fail closed before anything is reserved or written: a run must not start blind (T067).
    deps.gate?.assertOpen();
    const ttl = deps.idempotencyTtlSeconds[manifest?.mode ?? "baseline"];
    return ctx.idempotent(
      input.hash,
      async () => {
        if (input.parsed === undefined || manifest === undefined) throw input.error;
        const admitted = await admitManifest(deps, ctx, manifest, {
          dryRun: input.dryRun,
          hash: input.parsed.hash,
          operation,
        });
        return runReply(202, admitted);
      },
      ttl,
      // The tenant's token is taken with the reservation, in one round trip.
      { tenant: manifest?.metadata.tenant },
    );
  };
}

/**
 * A DR drill runs a `dr` manifest only (403 MODE_NOT_ALLOWED otherwise, before anything is
 * written); the manifest's own validation already keeps `dr` to the environments R6.10 allows.
 */
function assertDrillManifest(manifest: Manifest): void {
  if (manifest.mode === "dr") return;
  throw new SementeError("MODE_NOT_ALLOWED", `a DR drill needs a manifest in dr mode, not ${manifest.mode}`, {
    errors: [{ pointer: "/mode", message: "must be dr for a DR drill" }],
  });
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
    const { tenant, environment, state, limitText, cursor } = listQuery(ctx.url.searchParams, ctx.principal);
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

/**
 * The list's filters: tenant and environment default to the token's only one; 400 for an invalid
 * limit, state or cursor, 403 when the token spans several tenants or environments and the query
 * does not pick one.
 */
function listQuery(q: URLSearchParams, principal: { tenants: string[]; environments: string[] }) {
  const single = (values: string[]) => (values.length === 1 && values[0] !== "*" ? values[0] : undefined);
  const tenant = q.get("tenant") ?? single(principal.tenants);
  const environment = q.get("environment") ?? single(principal.environments);
  const state = q.get("state") ?? undefined;
  const limitText = q.get("limit") ?? "20";
  const cursor = q.get("cursor") ?? undefined;
  const issues = listQueryIssues(limitText, state, cursor);
  if (issues.length > 0) throw new SementeError("VALIDATION_FAILED", "invalid query", { errors: issues, status: 400 });
  if (tenant === undefined && !principal.tenants.includes("*")) {
    throw new SementeError("FORBIDDEN", "this token spans several tenants: filter by tenant");
  }
  if (environment === undefined && !principal.environments.includes("*")) {
    throw new SementeError("FORBIDDEN", "this token spans several environments: filter by environment");
  }
  return { tenant, environment, state, limitText, cursor };
}

function listQueryIssues(
  limitText: string,
  state: string | undefined,
  cursor: string | undefined,
): { pointer: string; message: string }[] {
  const issues: { pointer: string; message: string }[] = [];
  if (!/^\d{1,3}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 100) {
    issues.push({ pointer: "/query/limit", message: "must be an integer between 1 and 100" });
  }
  if (state !== undefined && !isRunState(state)) issues.push({ pointer: "/query/state", message: "unknown run state" });
  if (cursor !== undefined && cursor.length > 512) issues.push({ pointer: "/query/cursor", message: "too long" });
  return issues;
}
