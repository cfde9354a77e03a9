import { type ColumnSpec, createBatchDigest } from "../determinism/index.ts";
import { type Batch, ENTITY_TABLES, rowObject } from "../factories/index.ts";
import type { Entity } from "../manifest/index.ts";
import { encodeRows } from "./row-encoding.ts";

/** Column list of a batch digest: the table's columns by name, types inferred from the generated values. */
export function batchDigestColumns(entity: Entity): ColumnSpec[] {
  return ENTITY_TABLES[entity].columns.map((c) => c.name);
}

/** The reference path: `createBatchDigest` over row objects (the determinism module's encoder). */
export function referenceBatchDigest(batch: Batch): string {
  const digest = createBatchDigest(batchDigestColumns(batch.entity));
  for (const row of batch.rows) digest.update(rowObject(batch.entity, row));
  return digest.digest();
}

/**
 * `sha256:<hex>` over the canonical rows of a generated batch — byte for byte what
 * {@link referenceBatchDigest} (`canonicalRowEncoding` with inferred types) produces, written as
 * UTF-8 bytes without a row object, a JSON string or a hash call per row. Rows holding anything
 * but strings, booleans, safe integers or nulls take the reference path, which encodes or refuses
 * them exactly as documented there.
 */
export function digestBatch(batch: Batch): string {
  return (
    encodeRows(batch.rows, batch.columns.length, { digest: true, copy: false }).digest ?? referenceBatchDigest(batch)
  );
}
