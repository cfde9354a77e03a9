import type { Sql } from "@semente/platform/db";
import type { Window } from "@semente/core/manifest";
import { type Run, transitionRun } from "@semente/platform/runs";

/**
 * What holds a run: its off-peak window closed (`window`), or, where telemetry is required
 * (staging/prod), the planner's trace export down past its bound (`telemetry`, T067).
 */
export type PauseReason = "window" | "telemetry";

/** One pause of a run, as seed.run_pauses records it for the evidence. */
export interface RunPause {
  reason: PauseReason;
  pausedAt: Date;
  resumedAt: Date | null;
}

/** `running → paused` with its seed.run_pauses row and `run.paused` audit row, in one transaction. */
export function pauseRun(
  sql: Sql,
  run: Run,
  at: Date,
  hold: { reason: PauseReason; window: Window },
  actor: string,
): Promise<Run> {
  const { reason, window } = hold;
  return sql.begin(async (tx) => {
    await tx`
      INSERT INTO seed.run_pauses (run_id, reason, paused_at, details)
      VALUES (${run.id}, ${reason}, ${at}, ${tx.json({ window } as never)})
      ON CONFLICT (run_id) WHERE resumed_at IS NULL DO NOTHING`;
    return transitionRun(tx, run.id, { to: "paused", actor, details: { reason, window, paused_at: at } });
  }) as Promise<Run>;
}

/** `paused → running`, closing the open pause, in one transaction. */
export function resumeRun(sql: Sql, run: Run, at: Date, actor: string): Promise<Run> {
  return sql.begin(async (tx) => {
    const [open] = await tx<{ reason: PauseReason }[]>`
      UPDATE seed.run_pauses SET resumed_at = GREATEST(${at}, paused_at)
       WHERE run_id = ${run.id} AND resumed_at IS NULL RETURNING reason`;
    return transitionRun(tx, run.id, {
      to: "running",
      actor,
      details: { reason: open?.reason ?? "window", resumed_at: at },
    });
  }) as Promise<Run>;
}

/** Every pause of a run, oldest first. */
export async function runPauses(sql: Sql, runId: string): Promise<RunPause[]> {
  const rows = await sql<{ reason: PauseReason; paused_at: Date; resumed_at: Date | null }[]>`
    SELECT reason, paused_at, resumed_at FROM seed.run_pauses WHERE run_id = ${runId} ORDER BY paused_at, id`;
  return rows.map((r) => ({ reason: r.reason, pausedAt: r.paused_at, resumedAt: r.resumed_at }));
}
