import type { NatsConnection } from "@nats-io/transport-node";
import { openAdmissionBuckets, readLease, renewLease, slotKey, tenantLeaseKey } from "@semente/platform/bus";

/** Options of {@link createLeaseKeeper}. */
export interface LeaseKeeperOptions {
  nc: NatsConnection;
  /** Prefix of the admission buckets (`CONTROL_NATS_NAME_PREFIX`). */
  bucketPrefix: string;
  /** Global slots per environment (slot keys `<env>.slot.0 … n-1`). */
  globalSlots: number;
  /** Lease TTL; leases are renewed every third of it. */
  ttlMs: number;
  /** Replicas of the buckets, as the admission opened them (`NATS_REPLICAS`). @default 1 */
  replicas?: number;
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
 * admitted a run may restart, and a lease nobody renews would let another run in.
 */
export interface LeaseKeeper {
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
  let timer: ReturnType<typeof setInterval> | undefined;
  let inFlight: Promise<void> | undefined;

  async function renewRun(run: KeptRun): Promise<void> {
    const keys = [
      ...Array.from({ length: options.globalSlots }, (_, n) => ({
        kv: buckets.slots,
        key: slotKey(run.environment, n),
      })),
      { kv: buckets.tenantLeases, key: tenantLeaseKey(run.environment, run.tenantId) },
    ];
    for (const { kv, key } of keys) {
      const current = await readLease(kv, key);
      if (current?.value?.runId !== run.id) continue;
      // A CAS conflict means the gateway renewed in between: the lease is alive either way.
      await renewLease({ kv, key, revision: current.revision, value: current.value }, now() + options.ttlMs);
    }
  }

  async function renew(): Promise<void> {
    for (const run of [...runs.values()]) {
      try {
        await renewRun(run);
      } catch (error) {
        onError(error);
      }
    }
  }

  return {
    keep(run) {
      runs.set(run.id, run);
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
      await inFlight;
    },
  };
}
