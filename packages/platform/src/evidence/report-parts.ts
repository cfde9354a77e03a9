import type { Entity } from "@semente/core/manifest";
import { compareEntityPlanOrder, comparePlanOrder } from "@semente/core/pipeline";
import type { BatchFact, CheckpointFact } from "./facts.ts";
import type { ReportBatch, ReportEntity } from "./report-types.ts";

// The report's per-entity and per-batch sections, from the facts read (pure), in plan order.

/** `sha256:<hex>` from the bare hex the database stores (null stays null). */
export const sha256Ref = (hex: string | null): string | null =>
  hex === null ? null : `sha256:${hex.replace(/^sha256:/, "")}`;

/** Rows committed per entity, from the checkpoints. */
export function writtenRows(checkpoints: readonly CheckpointFact[]): Map<string, number> {
  const written = new Map<string, number>();
  for (const c of checkpoints) written.set(c.entity, (written.get(c.entity) ?? 0) + c.rowCount);
  return written;
}

/** One row per entity planned or written, in plan order. */
export function reportEntities(
  planned: Readonly<Record<Entity, number>> | null,
  checkpoints: readonly CheckpointFact[],
): ReportEntity[] {
  const written = writtenRows(checkpoints);
  const batchCounts = new Map<string, number>();
  for (const c of checkpoints) batchCounts.set(c.entity, (batchCounts.get(c.entity) ?? 0) + 1);
  const plannedNames = planned === null ? [] : (Object.keys(planned) as Entity[]).filter((e) => planned[e] > 0);
  return [...new Set([...plannedNames, ...written.keys()])].sort(compareEntityPlanOrder).map((entity) => ({
    entity,
    rows_planned: planned === null ? null : (planned[entity as Entity] ?? 0),
    rows_written: written.get(entity) ?? 0,
    batches: batchCounts.get(entity) ?? 0,
  }));
}

/** Every batch of `seed.batches`, completed by its checkpoint when there is one, in plan order. */
export function reportBatchList(batches: readonly BatchFact[], checkpoints: readonly CheckpointFact[]): ReportBatch[] {
  const byKey = new Map<string, ReportBatch>();
  for (const b of batches) {
    byKey.set(`${b.entity}/${b.batchIndex}`, {
      entity: b.entity,
      batch_index: b.batchIndex,
      level: b.level,
      from_ordinal: b.fromOrdinal,
      to_ordinal: b.toOrdinal,
      state: b.state,
      attempts: b.attempts,
      row_count: b.rowCount,
      digest: sha256Ref(b.digest),
      duration_ms: null,
    });
  }
  for (const c of checkpoints) {
    const key = `${c.entity}/${c.batchIndex}`;
    const existing = byKey.get(key);
    byKey.set(key, {
      entity: c.entity,
      batch_index: c.batchIndex,
      level: existing?.level ?? null,
      from_ordinal: c.fromOrdinal,
      to_ordinal: c.toOrdinal,
      state: existing?.state ?? "committed",
      attempts: existing?.attempts ?? 1,
      row_count: c.rowCount,
      digest: sha256Ref(c.digest),
      duration_ms: c.durationMs,
    });
  }
  return [...byKey.values()].sort((a, b) =>
    comparePlanOrder({ entity: a.entity, batchIndex: a.batch_index }, { entity: b.entity, batchIndex: b.batch_index }),
  );
}
