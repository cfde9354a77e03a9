import type { BankingTable, Sql } from "../db/index.ts";

/** What a run does to its tenant's data. */
export const RunOperation = {
  /** Generate the manifest's dataset (every run before issue 11). */
  seed: "seed",
  /** Delete the tenant's rows and its checkpoints of the run's mode. */
  purge: "purge",
  /** Purge, then regenerate, in one run under one lease. */
  reseed: "reseed",
  /** A reseed of a DR manifest that records the loss, verifies the rows and reports RTO/RPO. */
  drDrill: "dr_drill",
} as const;
export type RunOperation = (typeof RunOperation)[keyof typeof RunOperation];

/** Operations that purge the tenant's data, then seed the manifest's dataset, in one run. */
export function purgesThenSeeds(operation: string): boolean {
  return operation === RunOperation.reseed || operation === RunOperation.drDrill;
}

/** What {@link purgeTenant} deletes besides banking tables: the tenant's checkpoints of the mode. */
export const CHECKPOINTS_ENTITY = "checkpoints";

/** An entity a purge deletes from: a banking table, or the tenant's checkpoints of the mode. */
export type PurgeEntity = BankingTable | typeof CHECKPOINTS_ENTITY;

/** Options of {@link purgeTenant}. */
export interface PurgeOptions {
  /** Data-plane pool (semente_seeder): the deletes run under RLS bound to the purge run. */
  sql: Sql;
  /** A `running`, non-dry run of `tenantId` whose operation is `purge` or `reseed`. */
  runId: string;
  tenantId: string;
  environment: string;
  /** The mode whose checkpoints are cleared. */
  mode: string;
  /**
   * Rows deleted per transaction (one `seed.purge_progress` row each).
   * @default 20000
   */
  chunkRows?: number;
  /** Called after every committed chunk (tests stop a purge in the middle with it). */
  onChunk?: (entity: PurgeEntity, rows: number) => void | Promise<void>;
}

/** What a purge did, as recorded in `seed.purge_progress` (all attempts of the run). */
export interface PurgeResult {
  /** Rows deleted per entity, in purge (reverse FK) order, over every attempt of the run. */
  deleted: Record<PurgeEntity, number>;
  /** Total of `deleted`. */
  rowsDeleted: number;
  /**
   * Rows of the tenant left per entity after the purge (all zero on success: the database refuses
   * to close the purge phase otherwise).
   */
  remaining: Record<PurgeEntity, number>;
  /** Dataset digest of the tenant's data after the purge: the digest of no batches. */
  datasetDigest: string;
  /** The purge phase was already closed before this call: nothing was deleted by it. */
  alreadyComplete: boolean;
}

/** The maintenance flag of one tenant × environment. */
export interface MaintenanceStatus {
  tenantId: string;
  environment: string;
  /** The flag row (`semente maintenance set`) is active and not past `until`. */
  flagged: boolean;
  /**
   * Non-dry runs of the tenant planning or running whose lease a planner renews (or that no planner
   * has stamped yet): the run-held part of the flag.
   */
  runsInProgress: string[];
  /** Runs still `planning`/`running` whose lease expired (no planner renews it): they hold nothing. */
  runsLapsed: { id: string; leaseExpiredAt: string }[];
  /** The database refuses writes to the tenant's banking rows by every role but the seeder. */
  underMaintenance: boolean;
  reason: string | null;
  setBy: string | null;
  until: string | null;
}
