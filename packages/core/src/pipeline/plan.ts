import { ENTITIES, ENTITY_FK_PARENTS, type Entity, type Manifest, plannedRows } from "../manifest/index.ts";

/** One planned batch: rows [from, to) of one entity. */
export interface PlannedBatch {
  entity: Entity;
  /** Index of the batch within its entity. */
  batchIndex: number;
  /** FK level: 0 for entities without parents, else 1 + the deepest parent's level. */
  level: number;
  /** Position in plan order ({@link comparePlanOrder}). */
  planIndex: number;
  from: number;
  to: number;
}

/** The batches of a manifest in plan order, with per-entity and per-level summaries. */
export interface BatchPlan {
  batches: PlannedBatch[];
  /** Rows per entity (the tenant row and derived installments included). */
  rowsPerEntity: Record<Entity, number>;
  totalRows: number;
  /** Number of FK levels that hold at least one batch. */
  levels: number;
}

/**
 * Every table an entity's rows reference (the registry's `parents` and `references`, e.g. a
 * contract's loan or a customer's consultant). A batch may only run once all of them committed.
 */
export const FK_PARENTS: Readonly<Record<Entity, readonly Entity[]>> = ENTITY_FK_PARENTS;

/** FK level of every entity, from {@link FK_PARENTS}. */
export const ENTITY_LEVELS: Readonly<Record<Entity, number>> = (() => {
  const levels = {} as Record<Entity, number>;
  // ENTITIES is in FK order, so every parent's level is known before its children's.
  for (const entity of ENTITIES) {
    const parents: readonly Entity[] = FK_PARENTS[entity];
    levels[entity] = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((p) => levels[p]));
  }
  return levels;
})();

const ENTITY_RANK = new Map<string, number>(ENTITIES.map((e, i) => [e, i]));
const levelOf = (entity: string): number => ENTITY_LEVELS[entity as Entity] ?? Number.MAX_SAFE_INTEGER;
const rankOf = (entity: string): number => ENTITY_RANK.get(entity) ?? ENTITIES.length;

/**
 * THE plan order of entities: FK level ({@link ENTITY_LEVELS}), then the entity's position in
 * `ENTITIES`. Unknown entities sort last, by name. Planner, seeder, `verify`, the dataset digest
 * and the evidence report all order by this function (or {@link comparePlanOrder}, built on it).
 */
export function compareEntityPlanOrder(a: string, b: string): number {
  return levelOf(a) - levelOf(b) || rankOf(a) - rankOf(b) || (a === b ? 0 : a < b ? -1 : 1);
}

/** Plan order of batches: {@link compareEntityPlanOrder}, then `batchIndex`. */
export function comparePlanOrder(a: { entity: string; batchIndex: number }, b: typeof a): number {
  return compareEntityPlanOrder(a.entity, b.entity) || a.batchIndex - b.batchIndex;
}

/** Every entity in plan order. */
export const PLAN_ENTITY_ORDER: readonly Entity[] = [...ENTITIES].sort(compareEntityPlanOrder);

/**
 * Expands a manifest into batches of at most `batch_size` rows per entity, grouped by FK level
 * so that every parent row is committed before a child batch is published. Pure: the same
 * manifest always yields the same plan (the dataset digest depends on plan order).
 */
export function planBatches(manifest: Pick<Manifest, "batch_size" | "volumetry">): BatchPlan {
  const size = manifest.batch_size;
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError("batch_size must be a positive integer");
  const { perEntity, total } = plannedRows(manifest as Manifest);
  const batches: PlannedBatch[] = [];
  const used = new Set<number>();
  for (const entity of PLAN_ENTITY_ORDER) {
    const rows = perEntity[entity];
    for (let from = 0, batchIndex = 0; from < rows; from += size, batchIndex++) {
      batches.push({
        entity,
        batchIndex,
        level: ENTITY_LEVELS[entity],
        planIndex: batches.length,
        from,
        to: Math.min(from + size, rows),
      });
      used.add(ENTITY_LEVELS[entity]);
    }
  }
  return { batches, rowsPerEntity: perEntity, totalRows: total, levels: used.size };
}
