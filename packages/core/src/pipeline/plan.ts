import { ENTITIES, ENTITY_PARENTS, type Entity, type Manifest, plannedRows } from "../manifest/index.ts";

/** One planned batch: rows [from, to) of one entity. */
export interface PlannedBatch {
  entity: Entity;
  /** Index of the batch within its entity. */
  batchIndex: number;
  /** FK level: 0 for entities without parents, else 1 + the deepest parent's level. */
  level: number;
  /** Position in plan order (level, then `ENTITIES` order, then batch index). */
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
 * Every table an entity's rows reference: `ENTITY_PARENTS` (what the factories need to compute FK
 * targets) plus the optional references the schema also enforces (`migrations/0001`), e.g. a
 * contract's loan or a customer's consultant. A batch may only run once all of them committed.
 */
export const FK_PARENTS: Readonly<Record<Entity, readonly Entity[]>> = {
  ...ENTITY_PARENTS,
  consultants: [...ENTITY_PARENTS.consultants, "users"],
  suppliers: [...ENTITY_PARENTS.suppliers, "account_categories"],
  customers: [...ENTITY_PARENTS.customers, "consultants"],
  financial_transactions: [...ENTITY_PARENTS.financial_transactions, "loans"],
  contracts: [...ENTITY_PARENTS.contracts, "loans"],
};

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

/**
 * Expands a manifest into batches of at most `batch_size` rows per entity, grouped by FK level
 * so that every parent row is committed before a child batch is published. Pure: the same
 * manifest always yields the same plan (the dataset digest depends on plan order).
 */
export function planBatches(manifest: Pick<Manifest, "batch_size" | "volumetry">): BatchPlan {
  const size = manifest.batch_size;
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError("batch_size must be a positive integer");
  const { perEntity, total } = plannedRows(manifest as Manifest);
  const order = [...ENTITIES].sort(
    (a, b) => ENTITY_LEVELS[a] - ENTITY_LEVELS[b] || ENTITIES.indexOf(a) - ENTITIES.indexOf(b),
  );
  const batches: PlannedBatch[] = [];
  const used = new Set<number>();
  for (const entity of order) {
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
