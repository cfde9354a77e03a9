import { createHash } from "node:crypto";
import { type ColumnSpec, createBatchDigest } from "../determinism/index.ts";
import { type Batch, ENTITY_TABLES, rowObject } from "../factories/index.ts";
import type { Entity } from "../manifest/index.ts";
import { ByteSink, specialUnits } from "./byte-sink.ts";

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

/** Code units JSON.stringify escapes in a string: `"`, `\` and the controls. */
const JSON_SPECIAL = specialUnits((c) => c < 0x20 || c === 0x22 || c === 0x5c);
const FLUSH_BYTES = 1 << 16;

/**
 * One value of a canonical row (`canonicalRowEncoding` with inferred types, JSON included):
 * `null`, `"s:…"`, `"b:…"` or `"i:…"`. False, with nothing written, outside strings, booleans,
 * safe integers and nulls.
 */
function digestValue(sink: ByteSink, v: unknown): boolean {
  if (v === null || v === undefined) {
    sink.ascii("null");
  } else if (typeof v === "string") {
    const start = sink.length;
    sink.ascii('"s:');
    if (sink.plain(v, JSON_SPECIAL)) {
      sink.ascii('"');
    } else {
      sink.length = start;
      sink.utf8(JSON.stringify(`s:${v}`));
    }
  } else if (typeof v === "boolean") {
    sink.ascii(v ? '"b:true"' : '"b:false"');
  } else if (typeof v === "number" && Number.isSafeInteger(v)) {
    sink.ascii(`"i:${v}"`);
  } else {
    return false;
  }
  return true;
}

/** The canonical line of one row: `[v1,…,vn]\n`; false when a value is outside the fast path. */
function digestRow(sink: ByteSink, row: readonly unknown[], width: number): boolean {
  sink.ascii("[");
  for (let c = 0; c < width; c++) {
    if (c > 0) sink.ascii(",");
    if (!digestValue(sink, row[c])) return false;
  }
  sink.ascii("]\n");
  return true;
}

/** Scratch of the digest lines: reused, written and hashed within one synchronous call. */
const lines = new ByteSink();

/**
 * `sha256:<hex>` over the canonical rows of a generated batch — byte for byte what
 * {@link referenceBatchDigest} (`canonicalRowEncoding` with inferred types) produces, written as
 * UTF-8 bytes without a row object, a JSON string or a hash call per row. Rows holding anything
 * but strings, booleans, safe integers or nulls take the reference path, which encodes or refuses
 * them exactly as documented there.
 */
export function digestBatch(batch: Batch): string {
  const hash = createHash("sha256");
  const width = batch.columns.length;
  lines.length = 0;
  for (const row of batch.rows) {
    if (!digestRow(lines, row, width)) return referenceBatchDigest(batch);
    if (lines.length >= FLUSH_BYTES) {
      hash.update(lines.bytes.subarray(0, lines.length));
      lines.length = 0;
    }
  }
  hash.update(lines.bytes.subarray(0, lines.length));
  lines.length = 0;
  return `sha256:${hash.digest("hex")}`;
}
