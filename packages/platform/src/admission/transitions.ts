import type { Sql } from "../db/index.ts";
import { type Problem, SementeError, toProblem } from "@semente/core/errors";
import { isTerminalState, type RunState, transitionRun } from "../runs/index.ts";
import { type AdmissionContext, runInstance } from "./context.ts";
import type { HeldLease, LeaseValue } from "./lease.ts";
import { releaseLease } from "./lease.ts";
import {
  isUnderMaintenance,
  lockExpiredEntries,
  lockWaitingEntries,
  markWaitingFor,
  resolveEntry,
  type WaitingEntry,
} from "./queue.ts";
import { claimRunLeases, freeSlotKeys, runLeaseKeys } from "./run-leases.ts";
import type { PromoteResult } from "./types.ts";

/**
 * A lease taken over from `previous` means its run lost admission: fails it `LEASE_LOST` (unless
 * it is queued, terminal, gone or already failed by this pass) and frees whatever it still holds.
 */
async function failOrphan(ctx: AdmissionContext, tx: Sql, previous: LeaseValue, result: PromoteResult): Promise<void> {
  const rows = await tx<{ state: RunState }[]>`SELECT state FROM seed.runs WHERE id = ${previous.runId} FOR UPDATE`;
  const state = rows[0]?.state;
  if (state === undefined || state === "queued" || isTerminalState(state)) return;
  if (result.failed.some((r) => r.id === previous.runId)) return;
  const problem: Problem = toProblem(
    new SementeError("LEASE_LOST", "The run's admission lease expired and was taken over by another holder"),
    runInstance(previous.runId),
  );
  const failed = await transitionRun(tx, previous.runId, {
    to: "failed",
    reason: problem,
    actor: ctx.actor,
    details: { previous_holder: previous.holderId, new_holder: ctx.holderId },
  });
  result.failed.push(failed);
  await Promise.all(
    runLeaseKeys(ctx, failed.environment, failed.tenantId).map(({ kv, key }) => releaseLease(kv, key, failed.id)),
  );
}

/** Queue entries past their TTL: their runs become `expired` (QUEUE_EXPIRED), the entries close. */
export async function expireOverdue(
  ctx: AdmissionContext,
  tx: Sql,
  environment: string,
  result: PromoteResult,
): Promise<void> {
  for (const runId of await lockExpiredEntries(tx, environment)) {
    const rows = await tx<{ state: RunState; queued_until: Date | null }[]>`
      SELECT state, queued_until FROM seed.runs WHERE id = ${runId} FOR UPDATE`;
    if (rows[0]?.state !== "queued") {
      await resolveEntry(tx, runId, "cancelled");
      continue;
    }
    const problem = toProblem(
      new SementeError("QUEUE_EXPIRED", "No slot freed before the run's queue TTL elapsed", {
        extensions: { queued_until: rows[0].queued_until?.toISOString() ?? null },
      }),
      runInstance(runId),
    );
    result.expired.push(await transitionRun(tx, runId, { to: "expired", reason: problem, actor: ctx.actor }));
    await resolveEntry(tx, runId, "expired");
  }
}

/** One pass over the waiting entries of an environment, in FIFO order. */
interface Pass {
  environment: string;
  candidates: string[];
  blocked: Set<string>;
  result: PromoteResult;
  claimed: HeldLease[];
}

/** What became of one entry: go on with the next one, or stop the pass (no slot left). */
type Step = "next" | "stop";

async function admitEntry(ctx: AdmissionContext, tx: Sql, pass: Pass, entry: WaitingEntry): Promise<Step> {
  if (entry.runState !== "queued") {
    await resolveEntry(tx, entry.runId, "cancelled");
    return "next";
  }
  if (pass.candidates.length === 0) return "stop";
  if (pass.blocked.has(entry.tenantId)) {
    await markWaitingFor(tx, entry.runId, "tenant_lease");
    return "next";
  }
  if (await isUnderMaintenance(tx, entry.tenantId, pass.environment)) {
    pass.blocked.add(entry.tenantId);
    return "next";
  }
  const claim = await claimRunLeases(
    ctx,
    { runId: entry.runId, tenantId: entry.tenantId, environment: pass.environment },
    pass.candidates,
    pass.claimed,
  );
  if (!claim.ok) {
    if (claim.waitingFor === "tenant_lease") pass.blocked.add(entry.tenantId);
    await markWaitingFor(tx, entry.runId, claim.waitingFor);
    return claim.waitingFor === "global_slot" ? "stop" : "next";
  }
  for (const previous of claim.takenOver) await failOrphan(ctx, tx, previous, pass.result);
  const run = await transitionRun(tx, entry.runId, {
    to: "admitted",
    actor: ctx.actor,
    patch: { queuedUntil: null },
    details: { slot: claim.slot.key, holder: ctx.holderId },
  });
  await resolveEntry(tx, entry.runId, "admitted");
  pass.result.admitted.push(run);
  return "next";
}

/**
 * Admits waiting runs of `environment` FIFO while slots are free: a tenant whose lease is held (or
 * under maintenance) is skipped, not a blocker for the runs of other tenants behind it.
 */
export async function admitWaiting(
  ctx: AdmissionContext,
  tx: Sql,
  environment: string,
  result: PromoteResult,
  claimed: HeldLease[],
): Promise<void> {
  const entries = await lockWaitingEntries(tx, environment);
  if (entries.length === 0) return;
  const pass: Pass = {
    environment,
    candidates: await freeSlotKeys(ctx, environment),
    blocked: new Set(),
    result,
    claimed,
  };
  for (const entry of entries) {
    if ((await admitEntry(ctx, tx, pass, entry)) === "stop") break;
  }
}
