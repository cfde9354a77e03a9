import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { Sql } from "../db/index.ts";
import { SementeError } from "@semente/core/errors";
import type { Manifest } from "@semente/core/manifest";
import { isTerminalState, type RunState } from "../runs/states.ts";
import { type DlqRecord, replayDlq } from "./dlq.ts";
import { abandonDlqReplay, claimDlqReplay, completeDlqReplay } from "./dlq-replays.ts";
import type { PipelineNames } from "./names.ts";

/** What one replay of a dead batch did (the CLI prints it, the gateway answers it). */
export type DlqReplayOutcome =
  /** The run was still going: the batch was re-published to its stream (`stream:seq`). */
  | { kind: "republished"; republished: string; duplicate: boolean }
  /** The run had ended (a dead batch fails it): its manifest was re-submitted as `replayRun` (resume). */
  | { kind: "resumed"; replayRun: string; sourceState: string }
  /** An earlier replay of the record did it already; nothing was replayed again. */
  | { kind: "already"; replayRun: string | null; republished: string | null };

/** What a replay needs; `resubmit` creates the resume run (CLI: through the gateway; gateway: in process). */
export interface DlqReplayDeps {
  sql: Sql;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: PipelineNames;
  /** Creates a run of `manifest` under `idempotencyKey` (the same key gives the same run back) and returns its id. */
  resubmit(manifest: Manifest, dryRun: boolean, idempotencyKey: string): Promise<string>;
}

/** The idempotency key of the resume run of a record: a retry after a crash gets the same run back. */
export const dlqReplayKey = (id: string): string => `dlq-replay-${id}`;

async function sourceRun(sql: Sql, runId: string | null): Promise<{ state: string; manifest: Manifest } | null> {
  if (runId === null) return null;
  const [row] = await sql<{ state: string; manifest: Manifest }[]>`
    SELECT state, manifest FROM seed.runs WHERE id = ${runId}`;
  return row ?? null;
}

/**
 * Replays one dead batch at most once (the one implementation behind `semente dlq replay` and
 * `POST /api/v1/seed-runs/{id}/dlq/{entry}/replay`). The replay is claimed in `seed.dlq_replays`
 * first, so a second replay reports what the first did instead of resuming another run. While the
 * batch's run is still running the batch is re-published as is; once the run is terminal its
 * manifest is re-submitted, and the new run skips every checkpointed batch (resume). A failure
 * before the outcome is recorded gives the claim back.
 */
export async function replayDeadBatch(
  deps: DlqReplayDeps,
  record: DlqRecord,
  principal: string,
): Promise<DlqReplayOutcome> {
  const runId = record.batch?.runId ?? null;
  const claim = await claimDlqReplay(deps.sql, { id: record.id, dlqSeq: record.dlqSeq, runId }, principal);
  if (claim.kind === "in_progress") {
    throw new SementeError("IDEMPOTENCY_IN_FLIGHT", `a replay of ${record.id} is under way`, {
      extensions: { claimed_at: claim.claimedAt.toISOString() },
    });
  }
  if (claim.kind === "done") return { kind: "already", replayRun: claim.replayRun, republished: claim.republished };
  try {
    const run = await sourceRun(deps.sql, runId);
    if (run === null || !isTerminalState(run.state as RunState)) {
      const result = await replayDlq(deps.js, deps.jsm, deps.names, record.id);
      const republished = `${result.stream}:${result.seq}`;
      await completeDlqReplay(deps.sql, record.id, { republished });
      return { kind: "republished", republished, duplicate: result.duplicate };
    }
    const replayRun = await deps.resubmit(run.manifest, record.batch?.dryRun ?? false, dlqReplayKey(record.id));
    await completeDlqReplay(deps.sql, record.id, { replayRun });
    return { kind: "resumed", replayRun, sourceState: run.state };
  } catch (error) {
    await abandonDlqReplay(deps.sql, record.id);
    throw error;
  }
}
