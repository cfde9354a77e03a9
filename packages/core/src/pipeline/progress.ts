import type { Entity } from "../manifest/index.ts";
import { runDatasetDigest } from "./dataset-digest.ts";
import type { BatchPlan, PlannedBatch } from "./plan.ts";

/** Where a batch stands, as `seed.batches.state` records it (the subset the planner uses). */
export const BatchState = {
  /** Planned, not yet published. */
  PENDING: "pending",
  /** Published to its stream; no checkpoint yet. */
  PUBLISHED: "published",
  /** Its checkpoint exists (or, in a dry run, its checkpoint message arrived). */
  COMMITTED: "committed",
  /** Exhausted its deliveries and sits in the DLQ. */
  DEAD_LETTERED: "dead_lettered",
} as const;
export type BatchState = (typeof BatchState)[keyof typeof BatchState];

/** A planned batch and what is known about it. */
export interface TrackedBatch extends PlannedBatch {
  state: BatchState;
  /** `sha256:<hex>` once committed. */
  digest: string | null;
  /** Rows committed (equals `to - from` once committed). */
  rows: number;
}

/** Rows planned and committed for one entity. */
export interface EntityProgress {
  entity: Entity;
  planned: number;
  written: number;
  batches: number;
  committedBatches: number;
}

/** Progress of one run over its plan; plain bookkeeping, no I/O. */
export interface RunProgress {
  readonly batches: readonly TrackedBatch[];
  /** The batch of (entity, batchIndex), if planned. */
  get(entity: string, batchIndex: number): TrackedBatch | undefined;
  /** Records a checkpoint; returns false when the batch is unknown or the range differs. */
  commit(entity: string, batchIndex: number, digest: string, rows: number): boolean;
  markPublished(batch: PlannedBatch): void;
  markDeadLettered(entity: string, batchIndex: number): void;
  /** The lowest FK level with an uncommitted batch; `null` when all are committed. */
  currentLevel(): number | null;
  /** Batches published and not committed. */
  inFlight(): TrackedBatch[];
  /**
   * Pending batches of the current level to publish now so that at most `maxInFlight` are in
   * flight, in plan order. Never returns a batch of a level whose parents are not all committed.
   */
  releasable(maxInFlight: number): TrackedBatch[];
  deadLettered(): TrackedBatch[];
  isComplete(): boolean;
  rowsWritten(): number;
  perEntity(): EntityProgress[];
  /** `sha256:<hex>` over the batch digests in plan order; throws unless complete. */
  datasetDigest(): string;
}

const DIGEST = /^(?:sha256:)?([0-9a-f]{64})$/;

/** Normalizes `<hex>` or `sha256:<hex>` to `sha256:<hex>`. */
export function normalizeDigest(digest: string): string {
  const m = DIGEST.exec(digest);
  if (m === null) throw new TypeError("digest must be sha256:<64 hex> or <64 hex>");
  return `sha256:${m[1]}`;
}

/** Strips the `sha256:` prefix (the database stores bare hex). */
export function digestHex(digest: string): string {
  return normalizeDigest(digest).slice("sha256:".length);
}

/** Starts tracking a plan; every batch begins `pending`. */
export function createRunProgress(plan: BatchPlan): RunProgress {
  const batches: TrackedBatch[] = plan.batches.map((b) => ({ ...b, state: BatchState.PENDING, digest: null, rows: 0 }));
  const byKey = new Map(batches.map((b) => [`${b.entity}:${b.batchIndex}`, b]));
  const get = (entity: string, batchIndex: number) => byKey.get(`${entity}:${batchIndex}`);

  const currentLevel = (): number | null => {
    let level: number | null = null;
    for (const b of batches) {
      if (b.state !== BatchState.COMMITTED && (level === null || b.level < level)) level = b.level;
    }
    return level;
  };
  const inFlight = () => batches.filter((b) => b.state === BatchState.PUBLISHED);
  const isComplete = () => batches.every((b) => b.state === BatchState.COMMITTED);

  return {
    batches,
    get,
    commit(entity, batchIndex, digest, rows) {
      const b = get(entity, batchIndex);
      if (b === undefined || rows !== b.to - b.from) return false;
      b.state = BatchState.COMMITTED;
      b.digest = normalizeDigest(digest);
      b.rows = rows;
      return true;
    },
    markPublished(batch) {
      const b = get(batch.entity, batch.batchIndex);
      if (b !== undefined && b.state === BatchState.PENDING) b.state = BatchState.PUBLISHED;
    },
    markDeadLettered(entity, batchIndex) {
      const b = get(entity, batchIndex);
      if (b !== undefined && b.state !== BatchState.COMMITTED) b.state = BatchState.DEAD_LETTERED;
    },
    currentLevel,
    inFlight,
    releasable(maxInFlight) {
      const level = currentLevel();
      if (level === null) return [];
      const room = maxInFlight - inFlight().length;
      if (room <= 0) return [];
      return batches.filter((b) => b.level === level && b.state === BatchState.PENDING).slice(0, room);
    },
    deadLettered: () => batches.filter((b) => b.state === BatchState.DEAD_LETTERED),
    isComplete,
    rowsWritten: () => batches.reduce((sum, b) => sum + (b.state === BatchState.COMMITTED ? b.rows : 0), 0),
    perEntity() {
      const out = new Map<Entity, EntityProgress>();
      for (const b of batches) {
        const e = out.get(b.entity) ?? { entity: b.entity, planned: 0, written: 0, batches: 0, committedBatches: 0 };
        e.planned += b.to - b.from;
        e.batches += 1;
        if (b.state === BatchState.COMMITTED) {
          e.written += b.rows;
          e.committedBatches += 1;
        }
        out.set(b.entity, e);
      }
      return [...out.values()];
    },
    datasetDigest() {
      if (!isComplete()) throw new Error("the dataset digest exists only once every batch is committed");
      return runDatasetDigest(batches.map((b) => ({ ...b, digest: b.digest as string }))) as string;
    },
  };
}
