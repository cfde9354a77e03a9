import { Action } from "@semente/platform/auth";
import { isSementeError, SementeError, toProblem } from "@semente/core/errors";
import { assertTenantFree, checkPurge, newPurgeRun } from "@semente/platform/lifecycle";
import { assertWithinWindow, estimateCost, type Manifest, type Mode, plannedRows } from "@semente/core/manifest";
import { createRun, type NewRun, type Run, type RunMode, withdrawRun } from "@semente/platform/runs";
import { inSpan, RunSpan, recordRunSpan, sementeTracer, traceContextOf } from "@semente/platform/telemetry";
import type { ManifestInput } from "../http/manifest-input.ts";
import { authorizeRole, type RequestContext } from "../http/context.ts";
import { type RunsDeps, runReply } from "./runs.ts";

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
 * Creates the run `queued` and submits it to admission under the `gateway.admission` span: what
 * every `POST /api/v1/seed-runs` does once its checks passed. Refuses before writing anything
 * while the broker is down.
 */
async function admitRun(
  deps: RunsDeps,
  ctx: RequestContext,
  input: Omit<NewRun, "principal" | "queuedUntil">,
): Promise<Run> {
  // A run created while the broker is down could be neither admitted nor expired (the queue
  // lives in KV): refuse before writing anything.
  await deps.brokerProbe().catch((error) => {
    throw brokerDown(error);
  });
  const created = await createRun(deps.sql, {
    ...input,
    principal: ctx.principal.subject,
    queuedUntil: new Date(deps.now().getTime() + deps.queueTtlSeconds * 1000),
    traceId: ctx.trace.traceId,
  });
  ctx.scope.run = created.id;
  const admitting = performance.now();
  const tracer = deps.tracer ?? sementeTracer();
  const attributes = {
    "semente.run_id": created.id,
    "semente.tenant": created.tenantId,
    "semente.environment": created.environment,
    "semente.mode": created.mode,
    "semente.operation": created.operation,
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
  ctx.log.info({ decision: decision.state, operation: created.operation }, "admission decision");
  return decision.run;
}

/**
 * Checks the window and the budget (and, for a reseed or a DR drill, that no other run holds the tenant), creates
 * the run `queued` and submits it to admission: what `POST /api/v1/seed-runs` does once the
 * manifest is parsed, and what a DLQ replay's resume run does.
 */
export async function admitManifest(
  deps: RunsDeps,
  ctx: RequestContext,
  manifest: Manifest,
  input: { dryRun: boolean; hash: string; operation?: "seed" | "reseed" | "dr_drill" },
): Promise<Run> {
  assertWithinWindow(manifest.window, deps.now());
  const cost = estimateCost(manifest, deps.costModel);
  if (cost.overBudget) {
    throw new SementeError("BUDGET_EXCEEDED", "estimated cost is over the manifest's budget", {
      errors: [{ pointer: "/budget/max_cost", message: `estimate is ${Math.round(cost.ratio * 100)} % of the budget` }],
    });
  }
  const operation = input.operation ?? "seed";
  if (operation === "reseed" || operation === "dr_drill") {
    await assertTenantFree(deps.sql, deps.admission, manifest.metadata.tenant, manifest.metadata.environment);
  }
  return admitRun(deps, ctx, {
    environment: manifest.metadata.environment,
    tenantId: manifest.metadata.tenant,
    mode: manifest.mode,
    operation,
    dryRun: input.dryRun,
    manifestHash: input.hash.replace(/^sha256:/, ""),
    manifestVersion: manifest.metadata.version,
    manifest,
    referenceDatetime: manifest.reference_datetime,
    keyVersion: manifest.key_version,
    rowsPlanned: plannedRows(manifest).total,
  });
}

/**
 * A purge request (admin for its tenant and environment, else 403), then — under its
 * Idempotency-Key — the request's checks (422/403 mode), the tenant known in the environment
 * (404), no other run holding it (409 naming the holder), and the purge run admitted like any run.
 * Nothing is written by a refusal.
 */
export async function createPurge(deps: RunsDeps, ctx: RequestContext, input: ManifestInput): Promise<Response> {
  authorizeRole(ctx, Action.purge);
  const target = input.purge;
  if (target !== undefined) ctx.authorize(Action.purge, { tenant: target.tenant, environment: target.environment });
  deps.gate?.assertOpen();
  return ctx.idempotent(
    input.hash,
    async () => {
      if (target === undefined) throw input.error;
      const request = { tenantId: target.tenant, environment: target.environment, mode: target.mode as RunMode };
      const facts = await checkPurge(deps.sql, deps.admission, request);
      const {
        principal: _p,
        queuedUntil: _q,
        ...run
      } = newPurgeRun(request, facts, {
        principal: ctx.principal.subject,
        queuedUntil: deps.now(),
      });
      return runReply(202, await admitRun(deps, ctx, run));
    },
    deps.idempotencyTtlSeconds[(target?.mode as Mode | undefined) ?? "baseline"] ?? deps.idempotencyTtlSeconds.baseline,
    target === undefined ? undefined : { tenant: target.tenant },
  );
}
