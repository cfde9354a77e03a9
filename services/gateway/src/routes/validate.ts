import { Action } from "@semente/platform/auth";
import type { ProblemIssue } from "@semente/core/errors";
import { SementeError } from "@semente/core/errors";
import { batchCount, type CostModel, estimateCost, isWithinWindow, plannedRows } from "@semente/core/manifest";
import { assertManifestMedia, isJsonMedia, readText } from "../http/body.ts";
import type { ManifestParser } from "../http/manifest-cache.ts";
import { authorizeManifest, authorizeRole, type Handler } from "../http/context.ts";
import type { Reply } from "../http/reply.ts";

/** Dependencies of the validate route. */
export interface ValidateDeps {
  costModel: CostModel;
  /** Manifest parser (the gateway shares one caching worker pool between routes). */
  parser: ManifestParser;
  maxBodyBytes: number;
  ttlSeconds: number;
  now: () => Date;
}

/**
 * `POST /api/v1/seed-profiles/validate`: schema v1 + preflight without a write (R2.1). 200 with the
 * hash, plan and warnings; 422 listing every issue; BUDGET_EXCEEDED over budget, a warning at ≥ 80 %.
 */
export function validateRoute(deps: ValidateDeps): Handler {
  return async (ctx) => {
    // Everything the headers tell is checked before a byte of the body is read.
    authorizeRole(ctx, Action.validate);
    assertManifestMedia(ctx.request);
    const text = await readText(ctx.request, deps.maxBodyBytes);
    const input = await deps.parser({ kind: "body", text, json: isJsonMedia(ctx.request) }, ctx.principal.subject);
    authorizeManifest(ctx, Action.validate, input);
    return ctx.idempotent(
      input.hash,
      async (): Promise<Reply> => {
        if (input.parsed === undefined) throw input.error;
        const { manifest, hash } = input.parsed;
        const cost = estimateCost(manifest, deps.costModel);
        if (cost.overBudget) {
          throw new SementeError("BUDGET_EXCEEDED", "estimated cost is over the manifest's budget", {
            errors: [
              { pointer: "/budget/max_cost", message: `estimate is ${Math.round(cost.ratio * 100)} % of the budget` },
            ],
            extensions: { estimated_cost: cost.total, currency: cost.currency },
          });
        }
        const warnings: ProblemIssue[] = [];
        if (cost.alert) {
          warnings.push({
            pointer: "/budget/max_cost",
            message: `estimate is ${Math.round(cost.ratio * 100)} % of the budget (alert at 80 %)`,
          });
        }
        if (!isWithinWindow(manifest.window, deps.now())) {
          warnings.push({
            pointer: "/window",
            message: "outside the off-peak window now: a run would be refused until it opens",
          });
        }
        const rows = plannedRows(manifest);
        return {
          status: 200,
          json: {
            manifest_hash: hash,
            plan: {
              rows: rows.perEntity,
              batches: batchCount(manifest),
              estimated_cost: cost.total,
              estimated_duration_s: Math.ceil(rows.total / manifest.rate_limit.target_rows_per_second),
            },
            warnings,
          },
        };
      },
      deps.ttlSeconds,
      // The tenant's token is taken with the reservation, in one round trip.
      { tenant: input.parsed?.manifest.metadata.tenant },
    );
  };
}
