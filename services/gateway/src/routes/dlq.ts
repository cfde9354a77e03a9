import type { JetStreamManager } from "@nats-io/jetstream";
import { Action } from "@semente/platform/auth";
import { SementeError } from "@semente/core/errors";
import {
  type DlqRecord,
  type DlqReplayOutcome,
  getDlqRecord,
  listDlq,
  type PipelineNames,
  replayDeadBatch,
} from "@semente/platform/pipeline";
import type { Run } from "@semente/platform/runs";
import type { Handler, RequestContext } from "../http/context.ts";
import type { Reply } from "../http/reply.ts";
import { admitManifest, loadRun, type RunsDeps } from "./runs.ts";

/** Dependencies of the DLQ replay route: the runs routes' plus the pipeline's DLQ stream. */
export interface DlqReplayRouteDeps extends RunsDeps {
  jsm: JetStreamManager;
  /** Names of the pipeline streams (the DLQ and the work queues a batch is re-published to). */
  pipeline: PipelineNames;
}

/** A broker call whose failure (disconnected, no DLQ stream) is a retryable 503, not a 500. */
async function onBroker<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SementeError) throw error;
    throw new SementeError("UNAVAILABLE", "NATS broker unavailable: nothing was replayed; retry", {
      cause: error,
      retryable: true,
      extensions: { checks: { nats: "down" } },
    });
  }
}

/** The dead batch `entry` of `run`; any other entry (unknown, malformed, another run's) is answered 404. */
async function deadBatchOf(deps: DlqReplayRouteDeps, run: Run, entry: string): Promise<DlqRecord> {
  try {
    const record = await onBroker(() => getDlqRecord(deps.jsm, deps.pipeline, entry));
    if (record.batch?.runId === run.id) return record;
  } catch (error) {
    if (!(error instanceof SementeError && (error.code === "NOT_FOUND" || error.code === "MALFORMED_INPUT"))) {
      throw error;
    }
  }
  throw new SementeError("NOT_FOUND", "no such dead batch in this run");
}

function outcomeReply(run: Run, entry: string, outcome: DlqReplayOutcome): Reply {
  const replayRun = outcome.kind === "republished" ? null : outcome.replayRun;
  return {
    // 202: this request replayed the batch; 200: an earlier replay did and nothing was done again.
    status: outcome.kind === "already" ? 200 : 202,
    json: {
      entry,
      run_id: run.id,
      outcome: outcome.kind,
      replay_run: replayRun,
      republished: outcome.kind === "resumed" ? null : outcome.republished,
    },
  };
}

/**
 * `POST /api/v1/seed-runs/:id/dlq/:entry/replay`: `semente dlq replay` over HTTP, through the same
 * implementation (claimed once in `seed.dlq_replays`; re-published while the run runs, else the
 * run's manifest is re-submitted as a resume run). Admin only (403); another tenant's run is 404.
 */
export function replayDlqRoute(deps: DlqReplayRouteDeps): Handler {
  return async (ctx: RequestContext) => {
    const run = await loadRun(deps, ctx, Action.replay);
    const entry = decodeURIComponent(ctx.params.entry ?? "");
    return ctx.idempotent(`dlq-replay\n${run.id}\n${entry}`, async () => {
      const record = await deadBatchOf(deps, run, entry);
      const outcome = await onBroker(() =>
        replayDeadBatch(
          {
            sql: deps.sql,
            js: deps.js,
            jsm: deps.jsm,
            names: deps.pipeline,
            resubmit: async (manifest, dryRun) =>
              (await admitManifest(deps, ctx, manifest, { dryRun, hash: run.manifestHash })).id,
          },
          record,
          ctx.principal.subject,
        ),
      );
      return outcomeReply(run, entry, outcome);
    });
  };
}

/** Replays already done, by DLQ entry id. */
async function replayedEntries(deps: DlqReplayRouteDeps, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await deps.sql<{ dlq_id: string }[]>`
    SELECT dlq_id FROM seed.dlq_replays WHERE dlq_id = ANY(${ids}) AND state = 'done'`;
  return new Set(rows.map((r) => r.dlq_id));
}

/**
 * `GET /api/v1/seed-runs/:id/dlq`: the run's dead batches in SEED_DLQ with their entry ids (what the
 * replay route takes), authorized like the run. Reads at most the DLQ's first 1 000 records.
 */
export function listRunDlqRoute(deps: DlqReplayRouteDeps): Handler {
  return async (ctx: RequestContext) => {
    const run = await loadRun(deps, ctx, Action.read);
    const records = (await onBroker(() => listDlq(deps.jsm, deps.pipeline))).filter((r) => r.batch?.runId === run.id);
    const replayed = await replayedEntries(
      deps,
      records.map((r) => r.id),
    );
    const items = records.map((r) => ({
      entry: r.id,
      entity: r.batch?.entity ?? null,
      batch_index: r.batch?.batchIndex ?? null,
      deliveries: r.deliveries,
      last_error: r.lastError === null ? null : { code: r.lastError.code, message: r.lastError.message },
      dead_at: r.deadAt,
      replayed: replayed.has(r.id),
    }));
    return { status: 200, headers: { "Cache-Control": "no-cache" }, json: { items } };
  };
}
