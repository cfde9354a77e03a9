import { ByteSink, specialUnits } from "@semente/core/pipeline";

/** One value in COPY text format: `\N` for null, backslash escapes for `\`, tab, newline and CR. */
export function copyText(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  if (typeof value === "boolean") return value ? "t" : "f";
  const s = typeof value === "string" ? value : String(value);
  if (!/[\\\t\n\r]/.test(s)) return s;
  return s.replaceAll("\\", "\\\\").replaceAll("\t", "\\t").replaceAll("\n", "\\n").replaceAll("\r", "\\r");
}

/** Code units COPY text escapes: `\`, tab, newline, carriage return. */
const COPY_SPECIAL = specialUnits((c) => c === 0x5c || c === 0x09 || c === 0x0a || c === 0x0d);
const CHUNK_BYTES = 1 << 18;

/** One value as {@link copyText} writes it, straight into UTF-8 bytes when it needs no escape. */
function copyValue(sink: ByteSink, v: unknown): void {
  if (v === null || v === undefined) sink.ascii("\\N");
  else if (typeof v === "boolean") sink.ascii(v ? "t" : "f");
  else if (typeof v !== "string" || !sink.plain(v, COPY_SPECIAL)) sink.utf8(copyText(v));
}

/**
 * The COPY text of `rows` as UTF-8 bytes, in chunks of about 256 KiB that each end a row: no
 * string is joined, and the COPY stream has nothing left to convert.
 */
export function copyChunks(rows: readonly (readonly unknown[])[]): Uint8Array[] {
  const text = new ByteSink(Math.min(CHUNK_BYTES, 256 * rows.length) + (1 << 12));
  const chunks: Uint8Array[] = [];
  for (const row of rows) {
    for (let c = 0; c < row.length; c++) {
      if (c > 0) text.ascii("\t");
      copyValue(text, row[c]);
    }
    text.ascii("\n");
    if (text.length >= CHUNK_BYTES) chunks.push(text.take());
  }
  // The last chunk keeps the sink's buffer: nothing is written after it.
  if (text.length > 0) chunks.push(text.bytes.subarray(0, text.length));
  return chunks;
}
