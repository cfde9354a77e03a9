import { createHash } from "node:crypto";
import { type ColumnSpec, createBatchDigest } from "../determinism/index.ts";
import { type Batch, ENTITY_TABLES, rowObject } from "../factories/index.ts";
import type { Entity } from "../manifest/index.ts";

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

const FLUSH_CHARS = 1 << 16;

/**
 * `sha256:<hex>` over the canonical rows of a generated batch — byte for byte what
 * {@link referenceBatchDigest} (`canonicalRowEncoding` with inferred types) produces, without a row
 * object and a hash call per row. Rows holding anything but strings, booleans, safe integers or
 * nulls take the reference path, which encodes or refuses them exactly as documented there.
 */
export function digestBatch(batch: Batch): string {
  const hash = createHash("sha256");
  const width = batch.columns.length;
  const parts: (string | null)[] = new Array(width);
  let buffer = "";
  for (const row of batch.rows) {
    for (let c = 0; c < width; c++) {
      const v = row[c];
      if (v === null || v === undefined) parts[c] = null;
      else if (typeof v === "string") parts[c] = `s:${v}`;
      else if (typeof v === "boolean") parts[c] = v ? "b:true" : "b:false";
      else if (typeof v === "number" && Number.isSafeInteger(v)) parts[c] = `i:${v}`;
      else return referenceBatchDigest(batch);
    }
    buffer += `${JSON.stringify(parts)}\n`;
    if (buffer.length >= FLUSH_CHARS) {
      hash.update(buffer, "utf8");
      buffer = "";
    }
  }
  hash.update(buffer, "utf8");
  return `sha256:${hash.digest("hex")}`;
}
