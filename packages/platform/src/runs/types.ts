import type { Problem } from "@semente/core/errors";
import type { RunState } from "./states.ts";

/** Seeding mode: `baseline`, `load` (*carga*) or `dr` (disaster recovery). */
export type RunMode = "baseline" | "load" | "dr";

/**
 * What a run does to its tenant's data: `seed` generates the manifest's dataset, `purge` deletes
 * the tenant's rows and its checkpoints of the mode, `reseed` purges then generates, in one run,
 * `dr_drill` is a reseed of a DR manifest that records the loss, verifies the regenerated rows
 * and reports RTO/RPO.
 */
export type RunOperation = "seed" | "purge" | "reseed" | "dr_drill";

/** A row of `seed.runs`, camelCased. */
export interface Run {
  id: string;
  environment: string;
  tenantId: string;
  mode: RunMode;
  operation: RunOperation;
  dryRun: boolean;
  state: RunState;
  manifestHash: string;
  manifestVersion: string;
  /** The canonical manifest as submitted (JSON). */
  manifest: unknown;
  referenceDatetime: Date;
  keyVersion: number;
  /** Subject of the principal that created the run (never a token). */
  principal: string;
  /** Bumped on every change; the ETag is derived from it. */
  etagVersion: number;
  /** RFC 9457 problem explaining a failed, expired, aborted or cancelled run. */
  reason: Problem | null;
  traceId: string | null;
  datasetDigest: string | null;
  rowsPlanned: number | null;
  rowsWritten: number;
  createdAt: Date;
  updatedAt: Date;
  /** When the run left the queue (became `admitted`). */
  startedAt: Date | null;
  /** When the run reached a terminal state. */
  finishedAt: Date | null;
  /** Deadline of the queue TTL while `queued`; cleared on admission. */
  queuedUntil: Date | null;
  /** When the run's purge phase ended (purge and reseed runs); null before, or for a seed run. */
  purgedAt: Date | null;
  /** Rows the purge phase deleted (set with `purgedAt`). */
  rowsDeleted: number | null;
}

/** Input of `createRun`. The run starts `queued`. */
export interface NewRun {
  /** Defaults to a random UUID (run ids are identities, not generated data). */
  id?: string;
  environment: string;
  tenantId: string;
  mode: RunMode;
  /** @default "seed" */
  operation?: RunOperation;
  dryRun: boolean;
  manifestHash: string;
  manifestVersion: string;
  manifest: unknown;
  referenceDatetime: Date | string;
  keyVersion: number;
  principal: string;
  /** Queue deadline; required because a `queued` run always has one. */
  queuedUntil: Date;
  traceId?: string;
  rowsPlanned?: number;
  /** Audit actor. @default principal */
  actor?: string;
}

/** Columns a transition may set besides the state. */
export interface RunPatch {
  rowsPlanned?: number;
  rowsWritten?: number;
  datasetDigest?: string;
  traceId?: string;
  /** `null` clears it. */
  queuedUntil?: Date | null;
}

/** Options of `transitionRun`. */
export interface TransitionOptions {
  to: RunState;
  /** When set, the current `etag_version` must equal it, else `PRECONDITION_FAILED`. */
  expectedVersion?: number;
  /** Problem document stored in `reason` (failed, expired, aborted, cancelled). */
  reason?: Problem;
  patch?: RunPatch;
  /** Audit actor. @default "semente" */
  actor?: string;
  /** Extra audit details (never PII or secrets). */
  details?: Record<string, unknown>;
}

/** Options of `listRuns`. */
export interface ListRunsOptions {
  tenant?: string;
  environment?: string;
  state?: RunState;
  /** Page size, 1–500. */
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

/** One page of runs, newest first. */
export interface RunPage {
  runs: Run[];
  /** Cursor of the next page; `null` on the last page. */
  nextCursor: string | null;
}

/** The JSON representation of a run (snake_case, as in the OpenAPI). */
export interface RunResource {
  id: string;
  environment: string;
  tenant: string;
  mode: RunMode;
  operation: RunOperation;
  dry_run: boolean;
  state: RunState;
  manifest_hash: string;
  created_at: string;
  updated_at: string;
  queued_until: string | null;
  progress: { rows_planned: number | null; rows_written: number; rows_deleted?: number | null };
  dataset_digest: string | null;
  reason: Problem | null;
}
