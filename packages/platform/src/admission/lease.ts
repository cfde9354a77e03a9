import { JetStreamApiError } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";

/** The value stored under a slot or tenant lease key. */
export interface LeaseValue {
  runId: string;
  /** Admission instance (gateway replica) that renews it. */
  holderId: string;
  /** Epoch milliseconds after which any holder may take the lease over. */
  expiresAt: number;
}

/** A lease this process wrote, with the revision its next CAS must name. */
export interface HeldLease {
  kv: KV;
  key: string;
  revision: number;
  value: LeaseValue;
}

/** Outcome of `claimLease`. */
export type ClaimResult =
  | { ok: true; lease: HeldLease; takenOver: LeaseValue | null }
  | { ok: false; holder: LeaseValue | null };

interface Current {
  revision: number;
  value: LeaseValue | null;
}

const WRONG_LAST_SEQUENCE = new Set([10071, 10164]);

/** True for the error a revision-checked write gets when someone else wrote first. */
export function isCasConflict(error: unknown): boolean {
  return error instanceof JetStreamApiError && WRONG_LAST_SEQUENCE.has(error.code);
}

function parseLease(bytes: Uint8Array): LeaseValue | null {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (
      typeof value === "object" &&
      value !== null &&
      typeof (value as LeaseValue).runId === "string" &&
      typeof (value as LeaseValue).holderId === "string" &&
      typeof (value as LeaseValue).expiresAt === "number"
    ) {
      return value as LeaseValue;
    }
    return null;
  } catch (error) {
    // A value we cannot read has no live holder we could honour; treat it as stale.
    if (error instanceof SyntaxError) return null;
    throw error;
  }
}

/** The current lease under `key`; `null` when absent or deleted. */
export async function readLease(kv: KV, key: string): Promise<Current | null> {
  const entry = await kv.get(key);
  if (entry === null || entry.operation !== "PUT") return null;
  return { revision: entry.revision, value: parseLease(entry.value) };
}

/** Whether a lease (or an unreadable value) may be taken over at `now`. */
export function isStale(value: LeaseValue | null, now: number): boolean {
  return value === null || value.expiresAt <= now;
}

/**
 * Claims `key` for `value`: `create` when free, a revision-checked `update` when the current
 * lease expired (stale-holder takeover). Fails without writing when a live lease exists or
 * another claimer won the race.
 */
export async function claimLease(kv: KV, key: string, value: LeaseValue, now: number): Promise<ClaimResult> {
  const encoded = JSON.stringify(value);
  const current = await readLease(kv, key);
  try {
    if (current === null) {
      const revision = await kv.create(key, encoded);
      return { ok: true, lease: { kv, key, revision, value }, takenOver: null };
    }
    if (!isStale(current.value, now)) return { ok: false, holder: current.value };
    const revision = await kv.update(key, encoded, current.revision);
    return { ok: true, lease: { kv, key, revision, value }, takenOver: current.value };
  } catch (error) {
    if (!isCasConflict(error)) throw error;
    const winner = await readLease(kv, key);
    return { ok: false, holder: winner?.value ?? null };
  }
}

/** Extends a held lease by CAS `update`; `false` when it was released or taken over meanwhile. */
export async function renewLease(lease: HeldLease, expiresAt: number): Promise<boolean> {
  const value = { ...lease.value, expiresAt };
  try {
    lease.revision = await lease.kv.update(lease.key, JSON.stringify(value), lease.revision);
    lease.value = value;
    return true;
  } catch (error) {
    if (isCasConflict(error)) return false;
    throw error;
  }
}

/**
 * Deletes `key` if, and only if, it still holds a lease of `runId` (revision-checked, retried
 * when a heartbeat renews it in between). Returns whether this call deleted it.
 */
export async function releaseLease(kv: KV, key: string, runId: string): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await readLease(kv, key);
    if (current === null || current.value?.runId !== runId) return false;
    try {
      await kv.delete(key, { previousSeq: current.revision });
      return true;
    } catch (error) {
      if (!isCasConflict(error)) throw error;
    }
  }
  return false;
}
