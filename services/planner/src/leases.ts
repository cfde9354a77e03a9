import type { NatsConnection } from "@nats-io/transport-node";
import { openAdmissionBuckets, slotKey, tenantLeaseKey } from "@semente/platform/bus";
import { claimLease, readLease, renewLease } from "@semente/platform/admission";
import type { Sql } from "@semente/platform/db";

/** Options of {@link createLeaseKeeper}. */
export interface LeaseKeeperOptions {
  nc: NatsConnection;
  /** Control plane (semente_app): the lease expiry of each kept run is stamped on its row. */
  sql: Sql;
  /** Prefix of the admission buckets (`CONTROL_NATS_NAME_PREFIX`). */
  bucketPrefix: string;
  /** Global slots per environment (slot keys `<env>.slot.0 … n-1`). */
  globalSlots: number;
  /** Lease TTL; leases are renewed every third of it. */
  ttlMs: number;
  /** Replicas of the buckets, as the admission opened them (`NATS_REPLICAS`). @default 1 */
  replicas?: number;
  /** Holder named in a tenant lease this keeper has to claim again. @default `planner-<uuid>` */
  holderId?: string;
  onError?: (error: unknown) => void;
}

/** A run whose admission leases the planner keeps alive while it executes it. */
export interface KeptRun {
  id: string;
  environment: string;
  tenantId: string;
}

/**
 * Renews the global slot and tenant lease of every run the planner executes: the gateway that
 * admitted a run may restart, and a lease nobody renews would let another run in. Each renewal
 * that finds the tenant lease still the run's also stamps `seed.runs.lease_expires_at` (database
 * clock + TTL): the database holds the tenant under maintenance only while that stamp is in the
 * future, so the flag lapses with the lease when no planner renews it (migration 0140).
 */
export interface LeaseKeeper {
  /** Keeps `run`'s leases from now on; renews them and stamps the run at once (in the background). */
  keep(run: KeptRun): void;
  drop(runId: string): void;
  /** Renews now (also called by the loop). */
  renew(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

// Leases coordinate live processes: wall-clock time is the point here.
const now = (): number => Date.now(); // clock-ok: lease time

export async function createLeaseKeeper(options: LeaseKeeperOptions): Promise<LeaseKeeper> {
  const buckets = await openAdmissionBuckets(options.nc, {
    prefix: options.bucketPrefix,
    replicas: options.replicas,
    slotLeaseTtlMs: options.ttlMs,
    tenantLeaseTtlMs: options.ttlMs,
  });
  const runs = new Map<string, KeptRun>();
  const onError = options.onError ?? (() => undefined);
  const holderId = options.holderId ?? `planner-${crypto.randomUUID()}`;
  let timer: ReturnType<typeof setInterval> | undefined;
  let inFlight: Promise<void> | undefined;
  const immediate = new Set<Promise<void>>();

  /** Renews what the run holds; true when its tenant lease is (still, or again) the run's. */
  async function renewRun(run: KeptRun): Promise<boolean> {
    for (let n = 0; n < options.globalSlots; n++) {
      const key = slotKey(run.environment, n);
      const current = await readLease(buckets.slots, key);
      if (current?.value?.runId !== run.id) continue;
      // A CAS conflict means the gateway renewed in between: the lease is alive either way.
      await renewLease(
        { kv: buckets.slots, key, revision: current.revision, value: current.value },
        now() + options.ttlMs,
      );
    }
    const key = tenantLeaseKey(run.environment, run.tenantId);
    const current = await readLease(buckets.tenantLeases, key);
    if (current === null) {
      // Gone (its bucket's max_age collected it while no one renewed it): the run claims it again,
      // unless another run got there first.
      const claim = await claimLease(
        buckets.tenantLeases,
        key,
        { runId: run.id, holderId, expiresAt: now() + options.ttlMs },
        now(),
      );
      return claim.ok;
    }
    if (current.value?.runId !== run.id) return false;
    await renewLease(
      { kv: buckets.tenantLeases, key, revision: current.revision, value: current.value },
      now() + options.ttlMs,
    );
    return true;
  }

  /** Stamps the lease expiry of the runs that hold their tenant lease (database clock). */
  async function stamp(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await options.sql`
      update seed.runs set lease_expires_at = now() + make_interval(secs => ${options.ttlMs / 1000})
       where id = any(${ids}::uuid[]) and state in ('admitted', 'planning', 'running', 'paused')`;
  }

  async function renewAll(list: KeptRun[]): Promise<void> {
    const held: string[] = [];
    for (const run of list) {
      try {
        if (await renewRun(run)) held.push(run.id);
      } catch (error) {
        onError(error);
      }
    }
    try {
      await stamp(held.filter((id) => runs.has(id)));
    } catch (error) {
      onError(error);
    }
  }

  const renew = () => renewAll([...runs.values()]);

  return {
    keep(run) {
      runs.set(run.id, run);
      const first: Promise<void> = renewAll([run]).finally(() => immediate.delete(first));
      immediate.add(first);
    },
    drop(runId) {
      runs.delete(runId);
    },
    renew,
    start() {
      if (timer !== undefined) return;
      timer = setInterval(
        () => {
          inFlight ??= renew().finally(() => {
            inFlight = undefined;
          });
        },
        Math.max(Math.floor(options.ttlMs / 3), 500),
      );
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await Promise.allSettled([inFlight, ...immediate]);
    },
  };
}
