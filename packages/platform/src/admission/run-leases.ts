import { slotKey, tenantLeaseKey } from "../bus/buckets.ts";
import type { AdmissionContext } from "./context.ts";
import {
  type ClaimResult,
  claimLease,
  type HeldLease,
  isStale,
  type LeaseValue,
  readLease,
  releaseLease,
} from "./lease.ts";

/** The KV side of admitting one run: its tenant lease, then one global slot. */
export type RunClaim =
  | { ok: true; tenant: HeldLease; slot: HeldLease; takenOver: LeaseValue[] }
  | { ok: false; waitingFor: "tenant_lease" | "global_slot" };

/** Slot keys of `environment` that are free or stale now, in slot order. */
export async function freeSlotKeys(ctx: AdmissionContext, environment: string): Promise<string[]> {
  const slots = await Promise.all(
    Array.from({ length: ctx.globalSlots }, async (_, n) => {
      const key = slotKey(environment, n);
      return { key, current: await readLease(ctx.buckets.slots, key) };
    }),
  );
  return slots.filter((s) => s.current === null || isStale(s.current.value, ctx.now())).map((s) => s.key);
}

/**
 * Claims the tenant × environment lease of `runId`, then the first of `candidates` (consumed as
 * tried) it wins. A lost slot race gives the tenant lease back. Every lease won is pushed to
 * `claimed`, so that the caller can undo them if its transaction fails.
 */
export async function claimRunLeases(
  ctx: AdmissionContext,
  run: { runId: string; tenantId: string; environment: string },
  candidates: string[],
  claimed: HeldLease[],
): Promise<RunClaim> {
  const tenant = await claimLease(
    ctx.buckets.tenantLeases,
    tenantLeaseKey(run.environment, run.tenantId),
    { runId: run.runId, holderId: ctx.holderId, expiresAt: ctx.now() + ctx.tenantLeaseTtlMs },
    ctx.now(),
  );
  if (!tenant.ok) return { ok: false, waitingFor: "tenant_lease" };
  claimed.push(tenant.lease);
  let slot: Extract<ClaimResult, { ok: true }> | null = null;
  while (slot === null && candidates.length > 0) {
    const key = candidates.shift()!;
    const value = { runId: run.runId, holderId: ctx.holderId, expiresAt: ctx.now() + ctx.slotLeaseTtlMs };
    const attempt = await claimLease(ctx.buckets.slots, key, value, ctx.now());
    if (attempt.ok) slot = attempt;
  }
  if (slot === null) {
    claimed.pop();
    await releaseLease(ctx.buckets.tenantLeases, tenant.lease.key, run.runId);
    return { ok: false, waitingFor: "global_slot" };
  }
  claimed.push(slot.lease);
  const takenOver = [tenant.takenOver, slot.takenOver].filter(
    (previous): previous is LeaseValue => previous !== null && previous.runId !== run.runId,
  );
  return { ok: true, tenant: tenant.lease, slot: slot.lease, takenOver };
}

/** Every slot key and the tenant lease key a run of `environment` × `tenantId` may hold. */
export function runLeaseKeys(ctx: AdmissionContext, environment: string, tenantId: string) {
  return [
    ...Array.from({ length: ctx.globalSlots }, (_, n) => ({ kv: ctx.buckets.slots, key: slotKey(environment, n) })),
    { kv: ctx.buckets.tenantLeases, key: tenantLeaseKey(environment, tenantId) },
  ];
}
