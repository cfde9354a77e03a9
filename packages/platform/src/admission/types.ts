import type { NatsConnection } from "@nats-io/transport-node";
import type { Sql } from "../db/index.ts";
import type { Run } from "../runs/index.ts";
import type { RunEventsOptions } from "../bus/run-events.ts";

/** Options of `createAdmission`. */
export interface AdmissionOptions {
  nc: NatsConnection;
  /** Control-plane pool (`semente_app`). */
  sql: Sql;
  /** Unique per process (gateway replica); written into every lease it holds. */
  holderId: string;
  /**
   * Concurrent admitted runs per environment (R3.9).
   * @default 2
   */
  globalSlots?: number;
  /**
   * Tenant × environment lease TTL (R3.8).
   * @default 60_000
   */
  tenantLeaseTtlMs?: number;
  /**
   * Global slot lease TTL.
   * @default 60_000
   */
  slotLeaseTtlMs?: number;
  /**
   * How long a run may wait in the queue before it expires (R3.9).
   * @default 300_000
   */
  queueTtlMs?: number;
  /**
   * Lease renewal period.
   * @default a third of the shorter lease TTL
   */
  heartbeatMs?: number;
  /**
   * Period of the background promote + expiry sweep started by `start()`.
   * @default 1_000
   */
  sweepMs?: number;
  /**
   * Prefix of the KV bucket names (tests isolate themselves with one).
   * @default ""
   */
  bucketPrefix?: string;
  /**
   * Replicas of the admission buckets and the run events stream (`NATS_REPLICAS`).
   * @default 1
   */
  replicas?: number;
  /** Stream and subject prefix of run events. */
  events?: RunEventsOptions;
  /**
   * Audit actor of admission decisions.
   * @default "gateway"
   */
  actor?: string;
  /**
   * Receives errors of the background loops (they keep running).
   * @default ignores them
   */
  onError?: (error: unknown) => void;
}

/** Outcome of `submit`. */
export type SubmitResult = { state: "admitted"; run: Run } | { state: "queued"; queuedUntil: Date; run: Run };

/** What one `promote` call changed. */
export interface PromoteResult {
  admitted: Run[];
  expired: Run[];
  /** Runs failed with `LEASE_LOST` because their expired leases were taken over. */
  failed: Run[];
}

/** Admission of runs under the global slots and tenant leases. */
export interface Admission {
  readonly holderId: string;
  /**
   * Admits a `queued` run if a slot of its environment and its tenant lease are free (and no
   * older queued run is admissible first); otherwise queues it. Refuses with
   * `TENANT_MAINTENANCE` (the run becomes `cancelled`) while the tenant's maintenance flag is on.
   */
  submit(run: Run): Promise<SubmitResult>;
  /**
   * Frees the run's slot and tenant lease, then promotes its environment. Call once the run is
   * terminal (or to give up a queued run's entry, which promote then closes).
   */
  release(runId: string): Promise<PromoteResult>;
  /** Expires overdue queue entries and admits FIFO while slots are free; all environments when omitted. */
  promote(environment?: string): Promise<PromoteResult>;
  /** Renews every lease this holder owns now; releases those whose run became terminal. */
  heartbeat(): Promise<void>;
  /** The run holding the tenant × environment lease now (an unexpired lease), or null. */
  tenantHolder(environment: string, tenantId: string): Promise<string | null>;
  /** Starts the heartbeat and sweep loops. */
  start(): void;
  /** Stops the loops and waits for a running iteration; leases stay held (like a crash). */
  stop(): Promise<void>;
}
