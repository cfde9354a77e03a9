import type { Sql } from "../db/index.ts";

/** What {@link claimDlqReplay} found. */
export type DlqReplayClaim =
  /** This caller replays the record now and must `complete` or `abandon` the claim. */
  | { kind: "claimed" }
  /** The record was replayed already: nothing to do again. */
  | { kind: "done"; replayRun: string | null; republished: string | null; doneAt: Date }
  /** Another replay of the record is under way (claimed less than ten minutes ago). */
  | { kind: "in_progress"; claimedAt: Date };

interface ReplayRow {
  state: "claimed" | "done";
  replay_run: string | null;
  republished: string | null;
  claimed_at: Date;
  done_at: Date | null;
}

/**
 * Claims the replay of a dead batch record (`id` = `<stream>:<seq>`). A claim older than ten
 * minutes that never completed (its holder crashed) is taken over.
 */
export async function claimDlqReplay(
  sql: Sql,
  record: { id: string; dlqSeq: number; runId: string | null },
  principal: string,
): Promise<DlqReplayClaim> {
  const claimed = await sql<{ dlq_id: string }[]>`
    INSERT INTO seed.dlq_replays (dlq_id, dlq_seq, source_run, state, principal)
    SELECT ${record.id}, ${record.dlqSeq}, r.id, 'claimed', ${principal}
      FROM (SELECT ${record.runId}::uuid AS wanted) w LEFT JOIN seed.runs r ON r.id = w.wanted
    ON CONFLICT (dlq_id) DO UPDATE SET principal = EXCLUDED.principal, claimed_at = now()
     WHERE seed.dlq_replays.state = 'claimed' AND seed.dlq_replays.claimed_at < now() - interval '10 minutes'
    RETURNING dlq_id`;
  if (claimed.length > 0) return { kind: "claimed" };
  const [row] = await sql<ReplayRow[]>`
    SELECT state, replay_run, republished, claimed_at, done_at FROM seed.dlq_replays WHERE dlq_id = ${record.id}`;
  if (row === undefined) return claimDlqReplay(sql, record, principal);
  if (row.state === "done") {
    return { kind: "done", replayRun: row.replay_run, republished: row.republished, doneAt: row.done_at as Date };
  }
  return { kind: "in_progress", claimedAt: row.claimed_at };
}

/** Records the outcome of a claimed replay: the run it resumed, or where the batch was re-published. */
export async function completeDlqReplay(
  sql: Sql,
  id: string,
  outcome: { replayRun: string } | { republished: string },
): Promise<void> {
  const replayRun = "replayRun" in outcome ? outcome.replayRun : null;
  const republished = "republished" in outcome ? outcome.republished : null;
  await sql`
    UPDATE seed.dlq_replays SET state = 'done', replay_run = ${replayRun}, republished = ${republished}, done_at = now()
     WHERE dlq_id = ${id} AND state = 'claimed'`;
}

/** Gives a claim back after the replay failed before doing anything, so it can be tried again. */
export async function abandonDlqReplay(sql: Sql, id: string): Promise<void> {
  await sql`DELETE FROM seed.dlq_replays WHERE dlq_id = ${id} AND state = 'claimed'`;
}
