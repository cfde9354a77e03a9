import { datasetDigest } from "../determinism/index.ts";
import { comparePlanOrder } from "./plan.ts";

/** One committed batch as far as the dataset digest is concerned. */
export interface DigestedBatch {
  entity: string;
  batchIndex: number;
  /** `sha256:<64 hex>` or the bare 64 hex the database stores. */
  digest: string;
}

const DIGEST = /^(?:sha256:)?([0-9a-f]{64})$/;

/**
 * THE dataset digest of a run (docs/dataset-digest.md). Every producer and checker — planner,
 * seeder's checkpoints, `semente verify`, the evidence builder, `semente evidence verify` — calls
 * this function: it sorts the batches in plan order ({@link comparePlanOrder}) whatever order they
 * come in, then hashes `semente/dataset-digest/v1\n` followed by `sha256:<hex>\n` per batch.
 * Returns `sha256:<64 hex>`, or null when there is no batch. Throws on a malformed digest or on two
 * batches with the same entity and index.
 */
export function runDatasetDigest(batches: readonly DigestedBatch[]): string | null {
  if (batches.length === 0) return null;
  const sorted = [...batches].sort(comparePlanOrder);
  for (let i = 1; i < sorted.length; i++) {
    if (comparePlanOrder(sorted[i - 1] as DigestedBatch, sorted[i] as DigestedBatch) === 0) {
      throw new TypeError(`batch ${sorted[i]?.entity}/${sorted[i]?.batchIndex} appears twice`);
    }
  }
  return datasetDigest(
    sorted.map((b) => {
      const m = DIGEST.exec(b.digest);
      if (m === null) throw new TypeError(`batch ${b.entity}/${b.batchIndex}: digest must be sha256:<64 hex>`);
      return `sha256:${m[1]}`;
    }),
  );
}
