import { createHash } from "node:crypto";
import { type ColumnSpec, canonicalRowEncoding, createBatchDigest } from "../determinism/index.ts";
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

/** {@link digestBatch} fed the rows of one batch in order, over any number of calls. */
export interface BatchDigester {
  /** Adds rows (arrays in column order) after those already added. */
  add(rows: readonly (readonly unknown[])[]): void;
  /** `sha256:<hex>`; final after this call. */
  digest(): string;
}

/**
 * An incremental {@link digestBatch} for `entity`: a generator can hash a batch a part at a time
 * and let each part go. A row outside the fast path is encoded by `canonicalRowEncoding` itself:
 * the digest hashes one line per row, so the result is the reference digest either way.
 */
export function createBatchDigester(entity: Entity): BatchDigester {
  const columns = batchDigestColumns(entity);
  const hash = createHash("sha256");
  const lines = new ByteSink();
  const flush = () => {
    hash.update(lines.bytes.subarray(0, lines.length));
    lines.length = 0;
  };
  return {
    add(rows) {
      for (const row of rows) {
        const start = lines.length;
        if (digestRow(lines, row, columns.length)) {
          if (lines.length >= FLUSH_BYTES) flush();
          continue;
        }
        lines.length = start;
        flush();
        hash.update(`${canonicalRowEncoding(rowObject(entity, row), columns)}\n`, "utf8");
      }
    },
    digest() {
      flush();
      return `sha256:${hash.digest("hex")}`;
    },
  };
}

/**
 * `sha256:<hex>` over the canonical rows of a generated batch — byte for byte what
 * {@link referenceBatchDigest} (`canonicalRowEncoding` with inferred types) produces, written as
 * UTF-8 bytes without a row object, a JSON string or a hash call per row. A row holding anything
 * but strings, booleans, safe integers or nulls is encoded by the reference encoder, which encodes
 * or refuses it exactly as documented there.
 */
export function digestBatch(batch: Batch): string {
  const digester = createBatchDigester(batch.entity);
  digester.add(batch.rows);
  return digester.digest();
}
