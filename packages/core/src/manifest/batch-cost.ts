import { parseTtlSeconds } from "./time.ts";
import type { CostModel, Entity, Manifest } from "./types.ts";

const SECONDS_PER_MONTH = 30 * 24 * 3600;
const round = (n: number): number => Math.round(n * 1e6) / 1e6;

/**
 * Measured cost of `rows` rows of `entity` committed by a run of `manifest`: writing them and
 * storing them for the mode's TTL (the same unit costs as `estimateCost`).
 */
export function rowsCost(manifest: Manifest, model: CostModel, entity: Entity, rows: number): number {
  const unit = model.entities[entity];
  const months = (parseTtlSeconds(manifest.ttl[manifest.mode]) ?? 0) / SECONDS_PER_MONTH;
  return round(
    (rows / 1000) * unit.per_1k_rows + ((rows * unit.avg_row_bytes) / 1e9) * months * model.storage.per_gb_month,
  );
}

/** Compute cost of `ms` milliseconds of run time. */
export function computeCost(model: CostModel, ms: number): number {
  return round((Math.max(0, ms) / 60_000) * model.compute.per_minute);
}
