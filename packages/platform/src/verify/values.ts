/** How a stored column is read back as text, and when that text equals the generated value. */
import type { ColumnDef, PgType } from "@semente/core/factories";

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The SQL text a column is read as: the same text the factories generate for it. */
export function selectExpr(col: ColumnDef): string {
  const name = `"${col.name}"`;
  switch (col.type) {
    case "timestamptz":
      return `to_char(${name} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    case "date":
      return `to_char(${name}, 'YYYY-MM-DD')`;
    default:
      return `${name}::text`;
  }
}

/** Text of a generated value as {@link selectExpr} renders the stored one. */
export function expectedText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}

function normalizeNumeric(text: string): string {
  const m = /^(-?)0*(\d*?)(?:\.(\d*?)0*)?$/.exec(text.trim());
  if (m === null) return text;
  const int = m[2] === "" ? "0" : (m[2] as string);
  const frac = m[3] ?? "";
  const body = frac === "" ? int : `${int}.${frac}`;
  return body === "0" ? "0" : `${m[1]}${body}`;
}

/** Equality of an expected and a stored text, with the type's own equivalences (numeric scale, bpchar padding). */
export function sameValue(type: PgType, expected: string | null, stored: string | null): boolean {
  if (expected === stored) return true;
  if (expected === null || stored === null) return false;
  switch (type) {
    case "numeric":
      return normalizeNumeric(expected) === normalizeNumeric(stored);
    case "bpchar":
      return expected.trimEnd() === stored.trimEnd();
    case "uuid":
      return expected.toLowerCase() === stored.toLowerCase();
    case "timestamptz":
      return !ISO_MS.test(expected) && Date.parse(expected) === Date.parse(stored);
    default:
      return false;
  }
}
