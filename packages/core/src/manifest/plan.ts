import { ENTITIES, type Entity, type Manifest, type PlannedRows, VOLUMETRY_ENTITIES } from "./types.ts";

/** Rows the manifest will write per entity: one tenant row, the volumetry counts, derived installments. */
export function plannedRows(manifest: Manifest): PlannedRows {
  const perEntity = Object.fromEntries(ENTITIES.map((e) => [e, 0])) as Record<Entity, number>;
  perEntity.tenants = 1;
  for (const entity of VOLUMETRY_ENTITIES) perEntity[entity] = manifest.volumetry[entity].count;
  perEntity.installments = manifest.volumetry.loans.count * manifest.volumetry.loans.term_months;
  const total = ENTITIES.reduce((sum, e) => sum + perEntity[e], 0);
  return { perEntity, total };
}

/** Batches the planner will publish: `ceil(rows / batch_size)` per entity (a batch never mixes entities). */
export function batchCount(manifest: Manifest): number {
  const { perEntity } = plannedRows(manifest);
  return ENTITIES.reduce((sum, e) => sum + Math.ceil(perEntity[e] / manifest.batch_size), 0);
}
