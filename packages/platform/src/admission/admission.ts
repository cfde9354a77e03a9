import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { appendAudit, type Sql } from "../db/index.ts";
import { type Problem, SementeError, toProblem } from "@semente/core/errors";
import { isTerminalState, type Run, type RunState, requireRun, transitionRun } from "../runs/index.ts";
import { type AdmissionBuckets, openAdmissionBuckets, slotKey, tenantLeaseKey } from "../bus/buckets.ts";
import { claimLease, type HeldLease, isStale, type LeaseValue, readLease, releaseLease, renewLease } from "./lease.ts";
import {
  enqueue,
  environmentsWithWaiting,
  isUnderMaintenance,
  lockEnvironment,
  lockExpiredEntries,
  lockWaitingEntries,
  markWaitingFor,
  resolveEntry,
} from "./queue.ts";
import { ensureRunEventsStream, publishRunEvent } from "../bus/run-events.ts";
import type { Admission, AdmissionOptions, PromoteResult, SubmitResult } from "./types.ts";

interface Owned {
  lease: HeldLease;
  ttlMs: number;
}

// Leases are coordination between live processes, not generated data: wall-clock time is the point.
const now = (): number => Date.now(); // clock-ok: lease time

function runInstance(runId: string): string {
  return `/api/v1/seed-runs/${runId}`;
}

function emptyResult(): PromoteResult {
  return { admitted: [], expired: [], failed: [] };
}

/** Builds the admission controller; opens (creating when missing) its buckets and event stream. */
export async function createAdmission(options: AdmissionOptions): Promise<Admission> {
  const { nc, sql, holderId } = options;
  const globalSlots = options.globalSlots ?? 2;
  const tenantLeaseTtlMs = options.tenantLeaseTtlMs ?? 60_000;
  const slotLeaseTtlMs = options.slotLeaseTtlMs ?? 60_000;
  const queueTtlMs = options.queueTtlMs ?? 300_000;
  const heartbeatMs = options.heartbeatMs ?? Math.floor(Math.min(tenantLeaseTtlMs, slotLeaseTtlMs) / 3);
  const sweepMs = options.sweepMs ?? 1_000;
  const actor = options.actor ?? "gateway";
  const events = options.events ?? {};
  const onError = options.onError ?? (() => undefined);
  if (!Number.isInteger(globalSlots) || globalSlots < 1) {
    throw new SementeError("CONFIG_INVALID", "globalSlots must be a positive integer");
  }

  const js = jetstream(nc);
  await ensureRunEventsStream(await jetstreamManager(nc), { ...events, replicas: options.replicas ?? events.replicas });
  const buckets: AdmissionBuckets = await openAdmissionBuckets(nc, {
    prefix: options.bucketPrefix ?? "",
    replicas: options.replicas ?? events.replicas,
    slotLeaseTtlMs,
    tenantLeaseTtlMs,
  });
  const owned = new Map<string, Owned>();
  const ownedKey = (kv: KV, key: string) => `${kv === buckets.slots ? "slot" : "tenant"}:${key}`;

  async function publish(run: Run, event: RunState): Promise<void> {
    try {
      await publishRunEvent(js, run, event, events);
    } catch (error) {
      // The database already holds the new state (the source of truth); a lost event must not
      // turn a committed admission into an error for the caller.
      onError(error);
    }
  }

  async function publishResult(result: PromoteResult): Promise<void> {
    for (const run of [...result.failed, ...result.expired, ...result.admitted]) await publish(run, run.state);
  }

  async function failOrphan(tx: Sql, previous: LeaseValue, result: PromoteResult): Promise<void> {
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
      actor,
      details: { previous_holder: previous.holderId, new_holder: holderId },
    });
    result.failed.push(failed);
    await Promise.all([
      ...Array.from({ length: globalSlots }, (_, n) =>
        releaseLease(buckets.slots, slotKey(failed.environment, n), failed.id),
      ),
      releaseLease(buckets.tenantLeases, tenantLeaseKey(failed.environment, failed.tenantId), failed.id),
    ]);
  }

  async function expireOverdue(tx: Sql, environment: string, result: PromoteResult): Promise<void> {
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
      result.expired.push(await transitionRun(tx, runId, { to: "expired", reason: problem, actor }));
      await resolveEntry(tx, runId, "expired");
    }
  }

  async function admitWaiting(
    tx: Sql,
    environment: string,
    result: PromoteResult,
    claimed: HeldLease[],
  ): Promise<void> {
    const entries = await lockWaitingEntries(tx, environment);
    if (entries.length === 0) return;
    const slots = await Promise.all(
      Array.from({ length: globalSlots }, async (_, n) => {
        const key = slotKey(environment, n);
        return { key, current: await readLease(buckets.slots, key) };
      }),
    );
    const candidates = slots.filter((s) => s.current === null || isStale(s.current.value, now())).map((s) => s.key);
    const blocked = new Set<string>();
    for (const entry of entries) {
      if (entry.runState !== "queued") {
        await resolveEntry(tx, entry.runId, "cancelled");
        continue;
      }
      if (candidates.length === 0) break;
      if (blocked.has(entry.tenantId)) {
        await markWaitingFor(tx, entry.runId, "tenant_lease");
        continue;
      }
      if (await isUnderMaintenance(tx, entry.tenantId, environment)) {
        blocked.add(entry.tenantId);
        continue;
      }
      const tenant = await claimLease(
        buckets.tenantLeases,
        tenantLeaseKey(environment, entry.tenantId),
        { runId: entry.runId, holderId, expiresAt: now() + tenantLeaseTtlMs },
        now(),
      );
      if (!tenant.ok) {
        blocked.add(entry.tenantId);
        await markWaitingFor(tx, entry.runId, "tenant_lease");
        continue;
      }
      claimed.push(tenant.lease);
      let slot: Extract<Awaited<ReturnType<typeof claimLease>>, { ok: true }> | null = null;
      while (slot === null && candidates.length > 0) {
        const key = candidates.shift()!;
        const attempt = await claimLease(
          buckets.slots,
          key,
          { runId: entry.runId, holderId, expiresAt: now() + slotLeaseTtlMs },
          now(),
        );
        if (attempt.ok) slot = attempt;
      }
      if (slot === null) {
        claimed.pop();
        await releaseLease(buckets.tenantLeases, tenant.lease.key, entry.runId);
        await markWaitingFor(tx, entry.runId, "global_slot");
        break;
      }
      claimed.push(slot.lease);
      for (const previous of [tenant.takenOver, slot.takenOver]) {
        if (previous !== null && previous.runId !== entry.runId) await failOrphan(tx, previous, result);
      }
      const run = await transitionRun(tx, entry.runId, {
        to: "admitted",
        actor,
        patch: { queuedUntil: null },
        details: { slot: slot.lease.key, holder: holderId },
      });
      await resolveEntry(tx, entry.runId, "admitted");
      result.admitted.push(run);
    }
  }

  /** One locked pass over an environment; KV claims are undone when the transaction fails. */
  async function withEnvironment(
    environment: string,
    body: (tx: Sql, result: PromoteResult, claimed: HeldLease[]) => Promise<void>,
  ): Promise<PromoteResult> {
    const result = emptyResult();
    const claimed: HeldLease[] = [];
    try {
      await sql.begin(async (tx) => {
        await lockEnvironment(tx, environment);
        await body(tx, result, claimed);
      });
    } catch (error) {
      for (const lease of claimed) {
        await releaseLease(lease.kv, lease.key, lease.value.runId).catch(onError);
      }
      throw error;
    }
    for (const lease of claimed) {
      const ttlMs = lease.kv === buckets.slots ? slotLeaseTtlMs : tenantLeaseTtlMs;
      owned.set(ownedKey(lease.kv, lease.key), { lease, ttlMs });
    }
    await publishResult(result);
    return result;
  }

  function merge(into: PromoteResult, from: PromoteResult): PromoteResult {
    into.admitted.push(...from.admitted);
    into.expired.push(...from.expired);
    into.failed.push(...from.failed);
    return into;
  }

  async function promote(environment?: string): Promise<PromoteResult> {
    const environments = environment === undefined ? await environmentsWithWaiting(sql) : [environment];
    const result = emptyResult();
    for (const env of environments) {
      merge(
        result,
        await withEnvironment(env, async (tx, r, claimed) => {
          await expireOverdue(tx, env, r);
          await admitWaiting(tx, env, r, claimed);
        }),
      );
    }
    return result;
  }

  async function submit(run: Run): Promise<SubmitResult> {
    if (run.state !== "queued") {
      throw new SementeError("INVALID_STATE", `Only a queued run can be submitted (run is '${run.state}')`);
    }
    if (await isUnderMaintenance(sql, run.tenantId, run.environment)) {
      const refusal = new SementeError("TENANT_MAINTENANCE", "The tenant is under maintenance in this environment");
      const cancelled = await sql.begin(async (tx) => {
        await appendAudit(tx, {
          actor,
          action: "admission.refuse",
          outcome: "refused",
          tenantId: run.tenantId,
          environment: run.environment,
          runId: run.id,
          reason: refusal.code,
        });
        return transitionRun(tx, run.id, { to: "cancelled", reason: toProblem(refusal, runInstance(run.id)), actor });
      });
      await publish(cancelled, "cancelled");
      throw refusal;
    }
    let queuedUntil = new Date(0);
    const result = await withEnvironment(run.environment, async (tx, r, claimed) => {
      queuedUntil = await enqueue(tx, run, queueTtlMs);
      await expireOverdue(tx, run.environment, r);
      await admitWaiting(tx, run.environment, r, claimed);
      if (!r.admitted.some((a) => a.id === run.id)) {
        const rows = await tx<{ waiting_for: string }[]>`
          SELECT waiting_for FROM seed.queue_entries WHERE run_id = ${run.id}`;
        await appendAudit(tx, {
          actor,
          action: "admission.queue",
          outcome: "success",
          tenantId: run.tenantId,
          environment: run.environment,
          runId: run.id,
          details: { waiting_for: rows[0]?.waiting_for ?? "global_slot", queued_until: queuedUntil.toISOString() },
        });
      }
    });
    const admitted = result.admitted.find((a) => a.id === run.id);
    if (admitted !== undefined) return { state: "admitted", run: admitted };
    return { state: "queued", queuedUntil, run: await requireRun(sql, run.id) };
  }

  async function release(runId: string): Promise<PromoteResult> {
    const run = await requireRun(sql, runId);
    const keys = [
      ...Array.from({ length: globalSlots }, (_, n) => ({ kv: buckets.slots, key: slotKey(run.environment, n) })),
      { kv: buckets.tenantLeases, key: tenantLeaseKey(run.environment, run.tenantId) },
    ];
    const freed: string[] = [];
    for (const { kv, key } of keys) {
      if (await releaseLease(kv, key, runId)) freed.push(key);
      const mine = owned.get(ownedKey(kv, key));
      if (mine?.lease.value.runId === runId) owned.delete(ownedKey(kv, key));
    }
    if (freed.length > 0) {
      await appendAudit(sql, {
        actor,
        action: "admission.release",
        outcome: "success",
        tenantId: run.tenantId,
        environment: run.environment,
        runId,
        details: { keys: freed, state: run.state },
      });
    }
    return promote(run.environment);
  }

  async function heartbeat(): Promise<void> {
    const held = [...owned.entries()];
    if (held.length === 0) return;
    const ids = [...new Set(held.map(([, o]) => o.lease.value.runId))];
    const rows = await sql<{ id: string; state: RunState; lapsed: boolean }[]>`
      SELECT id, state, coalesce(lease_expires_at <= now(), false) AS lapsed FROM seed.runs WHERE id = ANY(${ids})`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [key, { lease, ttlMs }] of held) {
      const run = byId.get(lease.value.runId);
      // A run that ended without an explicit release (or vanished) must not pin its slot.
      if (run === undefined || isTerminalState(run.state)) {
        await releaseLease(lease.kv, lease.key, lease.value.runId);
        owned.delete(key);
        continue;
      }
      // A planner took the run, then stopped stamping it (it died): the lease is left to expire
      // like the planner's stamp, not kept alive by the gateway (R3.11, migration 0140).
      if (run.lapsed || !(await renewLease(lease, now() + ttlMs))) owned.delete(key);
    }
  }

  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const inFlight = new Set<Promise<unknown>>();
  let running = false;

  function loop(name: string, periodMs: number, task: () => Promise<unknown>): void {
    const tick = () => {
      if (!running) return;
      const p: Promise<unknown> = task()
        .catch(onError)
        .finally(() => {
          inFlight.delete(p);
          if (running) timers.set(name, setTimeout(tick, periodMs));
        });
      inFlight.add(p);
    };
    timers.set(name, setTimeout(tick, periodMs));
  }

  return {
    holderId,
    submit,
    release,
    promote,
    heartbeat,
    async tenantHolder(environment, tenantId) {
      const current = await readLease(buckets.tenantLeases, tenantLeaseKey(environment, tenantId));
      return current === null || isStale(current.value, now()) ? null : (current.value?.runId ?? null);
    },
    start() {
      if (running) return;
      running = true;
      loop("heartbeat", heartbeatMs, heartbeat);
      loop("sweep", sweepMs, () => promote());
    },
    async stop() {
      running = false;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}
