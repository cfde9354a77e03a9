import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { Sql } from "../db/index.ts";
import { SementeError } from "@semente/core/errors";
import { isTerminalState, type Run, type RunState, requireRun } from "../runs/index.ts";
import { openAdmissionBuckets, tenantLeaseKey } from "../bus/buckets.ts";
import { ensureRunEventsStream, publishRunEvent } from "../bus/run-events.ts";
import { auditQueued, auditReleased, refuseSubmission } from "./audit.ts";
import { type AdmissionContext, admissionSettings, emptyResult, mergeResults } from "./context.ts";
import { type HeldLease, isStale, readLease, releaseLease, renewLease } from "./lease.ts";
import { createLoops } from "./loops.ts";
import { enqueue, environmentsWithWaiting, isUnderMaintenance, lockEnvironment } from "./queue.ts";
import { runLeaseKeys } from "./run-leases.ts";
import { admitWaiting, expireOverdue } from "./transitions.ts";
import type { Admission, AdmissionOptions, PromoteResult, SubmitResult } from "./types.ts";

interface Owned {
  lease: HeldLease;
  ttlMs: number;
}

// Leases are coordination between live processes, not generated data: wall-clock time is the point.
const now = (): number => Date.now(); // clock-ok: lease time

/**
 * Builds the admission controller; opens (creating when missing) its buckets and event stream.
 * Decisions are taken in one PostgreSQL transaction per environment (advisory lock, FIFO queue,
 * state transitions: transitions.ts) while the KV leases arbitrate who may run (run-leases.ts);
 * KV claims are undone when the transaction fails.
 */
export async function createAdmission(options: AdmissionOptions): Promise<Admission> {
  const { nc, sql, holderId } = options;
  const settings = admissionSettings(options);
  const events = options.events ?? {};
  const js = jetstream(nc);
  await ensureRunEventsStream(await jetstreamManager(nc), { ...events, replicas: options.replicas ?? events.replicas });
  const buckets = await openAdmissionBuckets(nc, {
    prefix: options.bucketPrefix ?? "",
    replicas: options.replicas ?? events.replicas,
    slotLeaseTtlMs: settings.slotLeaseTtlMs,
    tenantLeaseTtlMs: settings.tenantLeaseTtlMs,
  });
  const ctx: AdmissionContext = { ...settings, sql, buckets, holderId, now };
  const owned = new Map<string, Owned>();
  const ownedKey = (kv: KV, key: string) => `${kv === buckets.slots ? "slot" : "tenant"}:${key}`;

  async function publish(run: Run, event: RunState): Promise<void> {
    try {
      await publishRunEvent(js, run, event, events);
    } catch (error) {
      // The database already holds the new state (the source of truth); a lost event must not
      // turn a committed admission into an error for the caller.
      ctx.onError(error);
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
        await releaseLease(lease.kv, lease.key, lease.value.runId).catch(ctx.onError);
      }
      throw error;
    }
    for (const lease of claimed) {
      const ttlMs = lease.kv === buckets.slots ? ctx.slotLeaseTtlMs : ctx.tenantLeaseTtlMs;
      owned.set(ownedKey(lease.kv, lease.key), { lease, ttlMs });
    }
    for (const run of [...result.failed, ...result.expired, ...result.admitted]) await publish(run, run.state);
    return result;
  }

  async function promote(environment?: string): Promise<PromoteResult> {
    const environments = environment === undefined ? await environmentsWithWaiting(sql) : [environment];
    const result = emptyResult();
    for (const env of environments) {
      const pass = await withEnvironment(env, async (tx, r, claimed) => {
        await expireOverdue(ctx, tx, env, r);
        await admitWaiting(ctx, tx, env, r, claimed);
      });
      mergeResults(result, pass);
    }
    return result;
  }

  async function submit(run: Run): Promise<SubmitResult> {
    if (run.state !== "queued") {
      throw new SementeError("INVALID_STATE", `Only a queued run can be submitted (run is '${run.state}')`);
    }
    if (await isUnderMaintenance(sql, run.tenantId, run.environment)) {
      const refusal = new SementeError("TENANT_MAINTENANCE", "The tenant is under maintenance in this environment");
      await publish(await refuseSubmission(ctx, run, refusal), "cancelled");
      throw refusal;
    }
    let queuedUntil = new Date(0);
    const result = await withEnvironment(run.environment, async (tx, r, claimed) => {
      queuedUntil = await enqueue(tx, run, ctx.queueTtlMs);
      await expireOverdue(ctx, tx, run.environment, r);
      await admitWaiting(ctx, tx, run.environment, r, claimed);
      if (!r.admitted.some((a) => a.id === run.id)) await auditQueued(ctx, tx, run, queuedUntil);
    });
    const admitted = result.admitted.find((a) => a.id === run.id);
    if (admitted !== undefined) return { state: "admitted", run: admitted };
    return { state: "queued", queuedUntil, run: await requireRun(sql, run.id) };
  }

  async function release(runId: string): Promise<PromoteResult> {
    const run = await requireRun(sql, runId);
    const freed: string[] = [];
    for (const { kv, key } of runLeaseKeys(ctx, run.environment, run.tenantId)) {
      if (await releaseLease(kv, key, runId)) freed.push(key);
      const mine = owned.get(ownedKey(kv, key));
      if (mine?.lease.value.runId === runId) owned.delete(ownedKey(kv, key));
    }
    if (freed.length > 0) await auditReleased(ctx, run, freed);
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

  const loops = createLoops(ctx.onError);
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
      loops.start([
        { name: "heartbeat", periodMs: ctx.heartbeatMs, task: heartbeat },
        { name: "sweep", periodMs: ctx.sweepMs, task: () => promote() },
      ]);
    },
    stop: () => loops.stop(),
  };
}
