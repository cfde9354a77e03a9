import { appendAudit, type Sql } from "../db/index.ts";
import { type SementeError, toProblem } from "@semente/core/errors";
import { type Run, transitionRun } from "../runs/index.ts";
import { type AdmissionContext, runInstance } from "./context.ts";

/** Audits a refused submission and cancels the run with the refusal as its reason, in one transaction. */
export function refuseSubmission(ctx: AdmissionContext, run: Run, refusal: SementeError): Promise<Run> {
  return ctx.sql.begin(async (tx) => {
    await appendAudit(tx, {
      actor: ctx.actor,
      action: "admission.refuse",
      outcome: "refused",
      tenantId: run.tenantId,
      environment: run.environment,
      runId: run.id,
      reason: refusal.code,
    });
    return transitionRun(tx, run.id, {
      to: "cancelled",
      reason: toProblem(refusal, runInstance(run.id)),
      actor: ctx.actor,
    });
  });
}

/** Audits that a submitted run waits in the queue, and for what. */
export async function auditQueued(ctx: AdmissionContext, tx: Sql, run: Run, queuedUntil: Date): Promise<void> {
  const rows = await tx<{ waiting_for: string }[]>`
    SELECT waiting_for FROM seed.queue_entries WHERE run_id = ${run.id}`;
  await appendAudit(tx, {
    actor: ctx.actor,
    action: "admission.queue",
    outcome: "success",
    tenantId: run.tenantId,
    environment: run.environment,
    runId: run.id,
    details: { waiting_for: rows[0]?.waiting_for ?? "global_slot", queued_until: queuedUntil.toISOString() },
  });
}

/** Audits the lease keys a release freed. */
export async function auditReleased(ctx: AdmissionContext, run: Run, freed: string[]): Promise<void> {
  await appendAudit(ctx.sql, {
    actor: ctx.actor,
    action: "admission.release",
    outcome: "success",
    tenantId: run.tenantId,
    environment: run.environment,
    runId: run.id,
    details: { keys: freed, state: run.state },
  });
}
