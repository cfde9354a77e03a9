import { createHash } from "node:crypto";
import { ByteSink, specialUnits } from "./byte-sink.ts";

/**
 * The two encodings of a generated batch the writer needs, written as bytes: the canonical rows
 * its digest hashes and its COPY text.
 */
export interface EncodedBatch {
  /** `sha256:<hex>` of the canonical rows (see `digestBatch`), or undefined when not asked for. */
  digest: string | undefined;
  /** COPY text-format chunks, each ending in a newline, or empty when not asked for. */
  copy: Uint8Array[];
  /** Whether a value left the digest's fast path (the caller then takes the reference encoder). */
  fallback: boolean;
}

/** One value in COPY text format: `\N` for null, backslash escapes for `\`, tab, newline and CR. */
export function copyText(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  if (typeof value === "boolean") return value ? "t" : "f";
  const s = typeof value === "string" ? value : String(value);
  if (!/[\\\t\n\r]/.test(s)) return s;
  return s.replaceAll("\\", "\\\\").replaceAll("\t", "\\t").replaceAll("\n", "\\n").replaceAll("\r", "\\r");
}

/** Code units JSON.stringify escapes in a string: `"`, `\` and the controls. */
const JSON_SPECIAL = specialUnits((c) => c < 0x20 || c === 0x22 || c === 0x5c);
/** Code units COPY text escapes: `\`, tab, newline, carriage return. */
const COPY_SPECIAL = specialUnits((c) => c === 0x5c || c === 0x09 || c === 0x0a || c === 0x0d);

const FLUSH_BYTES = 1 << 16;
const COPY_CHUNK_BYTES = 1 << 18;

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

/** One value in COPY text format, as {@link copyText} writes it. */
function copyValue(sink: ByteSink, v: unknown): void {
  if (v === null || v === undefined) sink.ascii("\\N");
  else if (typeof v === "boolean") sink.ascii(v ? "t" : "f");
  else if (typeof v !== "string" || !sink.plain(v, COPY_SPECIAL)) sink.utf8(copyText(v));
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

function copyRow(sink: ByteSink, row: readonly unknown[]): void {
  for (let c = 0; c < row.length; c++) {
    if (c > 0) sink.ascii("\t");
    copyValue(sink, row[c]);
  }
  sink.ascii("\n");
}

/** Scratch of the digest lines: reused, written and hashed within one synchronous call. */
const lines = new ByteSink();

/** The digest's lines, hashed every {@link FLUSH_BYTES}; stops at the first value off the fast path. */
function digestOf(rows: readonly (readonly unknown[])[], width: number): string | undefined {
  const hash = createHash("sha256");
  lines.length = 0;
  for (const row of rows) {
    if (!digestRow(lines, row, width)) return undefined;
    if (lines.length >= FLUSH_BYTES) {
      hash.update(lines.bytes.subarray(0, lines.length));
      lines.length = 0;
    }
  }
  hash.update(lines.bytes.subarray(0, lines.length));
  lines.length = 0;
  return `sha256:${hash.digest("hex")}`;
}

/** The COPY text in chunks of about {@link COPY_CHUNK_BYTES}, each ending a row. */
function copyOf(rows: readonly (readonly unknown[])[]): Uint8Array[] {
  const text = new ByteSink(Math.min(COPY_CHUNK_BYTES, 256 * rows.length) + (1 << 12));
  const chunks: Uint8Array[] = [];
  for (const row of rows) {
    copyRow(text, row);
    if (text.length >= COPY_CHUNK_BYTES) chunks.push(text.take());
  }
  if (text.length > 0) chunks.push(text.take());
  return chunks;
}

/** Encodes rows of `width` columns: their digest (lines hashed as they fill), their COPY text, or both. */
export function encodeRows(
  rows: readonly (readonly unknown[])[],
  width: number,
  wanted: { digest: boolean; copy: boolean },
): EncodedBatch {
  const digest = wanted.digest ? digestOf(rows, width) : undefined;
  const copy = wanted.copy ? copyOf(rows) : [];
  return { digest, copy, fallback: wanted.digest && digest === undefined };
}
