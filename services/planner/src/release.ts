import type { Entity } from "@semente/core/manifest";
import { BatchState, FK_PARENTS, type RunProgress, type TrackedBatch } from "@semente/core/pipeline";

/** How a load/DR run releases batches whose parents are committed. */
export const ReleaseBy = {
  /** A whole FK level at a time: no batch of level n+1 before every batch of level n committed. */
  level: "level",
  /**
   * Per entity: a batch is released as soon as every entity it references (`FK_PARENTS`) is fully
   * committed, so e.g. loans start while addresses are still being written.
   */
  entity: "entity",
} as const;
export type ReleaseBy = (typeof ReleaseBy)[keyof typeof ReleaseBy];

/**
 * Pending batches to publish now under per-entity FK readiness, in plan order, so that at most
 * `maxInFlight` are in flight. An entity without batches (count 0) counts as committed.
 */
export function releasableByEntity(progress: RunProgress, maxInFlight: number): TrackedBatch[] {
  const room = maxInFlight - progress.inFlight().length;
  if (room <= 0) return [];
  const committed = new Map<Entity, boolean>();
  for (const b of progress.batches) {
    committed.set(b.entity, (committed.get(b.entity) ?? true) && b.state === BatchState.COMMITTED);
  }
  const ready = (entity: Entity) => FK_PARENTS[entity].every((parent) => committed.get(parent) ?? true);
  const out: TrackedBatch[] = [];
  for (const b of progress.batches) {
    if (out.length >= room) break;
    if (b.state === BatchState.PENDING && ready(b.entity)) out.push(b);
  }
  return out;
}

/** The batches to publish now for a run of `mode` (baseline: one at a time, in plan order). */
export function releasable(
  progress: RunProgress,
  options: { baseline: boolean; maxInFlight: number; releaseBy: ReleaseBy },
): TrackedBatch[] {
  if (options.baseline || options.releaseBy === ReleaseBy.level) return progress.releasable(options.maxInFlight);
  return releasableByEntity(progress, options.maxInFlight);
}
