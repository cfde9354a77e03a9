import { createHash, type Hash } from "node:crypto";

/**
 * How a column's values are encoded. Without a type the runtime type of the value decides
 * (string → text, integer number or bigint → int, boolean, Date → timestamptz, object → json).
 */
export const ColumnType = {
  /** Text, UUIDs, enums: the string as is. */
  text: "text",
  /** Integers (number or bigint), written in decimal. */
  int: "int",
  /** Exact decimals (e.g. numeric(18,2)): a decimal string normalized to exactly `scale` digits. */
  numeric: "numeric",
  /** true / false. */
  bool: "bool",
  /** Calendar date: `YYYY-MM-DD` (a Date is read in UTC). */
  date: "date",
  /** Instant: ISO 8601 UTC with milliseconds, `YYYY-MM-DDTHH:MM:SS.sssZ`. */
  timestamptz: "timestamptz",
  /** JSON value: canonical JSON with object keys sorted. */
  json: "json",
} as const;
export type ColumnType = (typeof ColumnType)[keyof typeof ColumnType];

/** A column of the encoding: its name alone, or its name with a type (and scale for numerics). */
export type ColumnSpec = string | { name: string; type: ColumnType; scale?: number };

/** The domain separator heading a dataset digest's input. */
export const DATASET_DIGEST_DOMAIN = "semente/dataset-digest/v1\n";

const TAG: Record<ColumnType, string> = {
  text: "s",
  int: "i",
  numeric: "n",
  bool: "b",
  date: "d",
  timestamptz: "t",
  json: "j",
};

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new TypeError("non-finite number in json");
    if (typeof value === "bigint") return value.toString();
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

function normalizeDecimal(raw: string, scale: number): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(raw);
  if (!m) throw new TypeError("numeric value is not a plain decimal");
  const sign = m[1] as string;
  const int = (m[2] as string).replace(/^0+(?=\d)/, "");
  let frac = m[3] ?? "";
  if (frac.length > scale) {
    if (/[^0]/.test(frac.slice(scale))) throw new TypeError(`numeric value has more than ${scale} decimals`);
    frac = frac.slice(0, scale);
  }
  frac = frac.padEnd(scale, "0");
  const body = scale > 0 ? `${int}.${frac}` : int;
  return sign === "-" && /[1-9]/.test(body) ? `-${body}` : body;
}

function inferType(value: unknown): ColumnType {
  switch (typeof value) {
    case "string":
      return "text";
    case "bigint":
      return "int";
    case "number":
      if (!Number.isSafeInteger(value)) throw new TypeError("binary floats are not encodable: use a numeric column");
      return "int";
    case "boolean":
      return "bool";
    default:
      return value instanceof Date ? "timestamptz" : "json";
  }
}

function encodeValue(value: unknown, type: ColumnType, scale: number): string {
  switch (type) {
    case "text":
      return encodeText(value);
    case "int":
      return encodeInt(value);
    case "numeric":
      return encodeNumeric(value, scale);
    case "bool":
      return encodeBool(value);
    case "date":
      return encodeDate(value);
    case "timestamptz":
      return encodeTimestamptz(value);
    case "json":
      return canonicalJson(value);
  }
}

function encodeText(value: unknown): string {
  if (typeof value !== "string") throw new TypeError("text column needs a string");
  return value;
}

function encodeInt(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value).toString();
  throw new TypeError("int column needs an integer");
}

function encodeNumeric(value: unknown, scale: number): string {
  if (typeof value === "string") return normalizeDecimal(value, scale);
  if (typeof value === "bigint") return normalizeDecimal(value.toString(), scale);
  if (typeof value === "number" && Number.isSafeInteger(value)) return normalizeDecimal(String(value), scale);
  throw new TypeError("numeric column needs a decimal string, a bigint or a safe integer");
}

function encodeBool(value: unknown): string {
  if (typeof value !== "boolean") throw new TypeError("bool column needs a boolean");
  return value ? "true" : "false";
}

function encodeDate(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  throw new TypeError("date column needs a Date or YYYY-MM-DD");
}

function encodeTimestamptz(value: unknown): string {
  const d = value instanceof Date ? value : typeof value === "string" ? new Date(value) : undefined;
  if (d === undefined || Number.isNaN(d.getTime()))
    throw new TypeError("timestamptz column needs a Date or ISO string");
  return d.toISOString();
}

/**
 * The canonical encoding of one row — the exact bytes digests hash, so evidence and `verify` can
 * recompute them from rows read back from PostgreSQL:
 *
 * `JSON.stringify([e1, …, en])` over the columns in the given order, where `ei` is `null` for a
 * null/undefined value, else the string `<tag>:<text>` with tag `s` text, `i` int, `n` numeric,
 * `b` bool, `d` date, `t` timestamptz, `j` json, and text as documented on {@link ColumnType}
 * (numeric normalized to exactly `scale` decimals, default 2: `"n:1234.50"`). Binary floats are
 * refused. Row order and the column list are part of the digest; column names are not.
 */
export function canonicalRowEncoding(row: Readonly<Record<string, unknown>>, columns: readonly ColumnSpec[]): string {
  const parts: (string | null)[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const col = columns[i] as ColumnSpec;
    const name = typeof col === "string" ? col : col.name;
    const value = row[name];
    if (value === null || value === undefined) {
      parts[i] = null;
      continue;
    }
    const scale = typeof col === "string" ? 2 : (col.scale ?? 2);
    try {
      const type = typeof col === "string" ? inferType(value) : col.type;
      parts[i] = `${TAG[type]}:${encodeValue(value, type, scale)}`;
    } catch (e) {
      // Name the column but never echo the value: it may be PII.
      throw new TypeError(`column ${name}: ${(e as Error).message}`);
    }
  }
  return JSON.stringify(parts);
}

/** An incremental SHA-256 over the canonical rows of one batch, in generation order. */
export interface BatchDigest {
  /** Adds one row (its canonical encoding followed by `\n`). */
  update(row: Readonly<Record<string, unknown>>): void;
  /** Number of rows added so far. */
  readonly rows: number;
  /** `sha256:<64 hex>`; the digest is final after this call. */
  digest(): string;
}

/** Starts a batch digest over rows encoded with `columns` (see {@link canonicalRowEncoding}). */
export function createBatchDigest(columns: readonly ColumnSpec[]): BatchDigest {
  const hash: Hash = createHash("sha256");
  let rows = 0;
  let done = false;
  return {
    update(row) {
      if (done) throw new Error("batch digest already finalized");
      hash.update(`${canonicalRowEncoding(row, columns)}\n`, "utf8");
      rows++;
    },
    get rows() {
      return rows;
    },
    digest() {
      done = true;
      return `sha256:${hash.digest("hex")}`;
    },
  };
}

/**
 * The dataset digest of a run: SHA-256 over {@link DATASET_DIGEST_DOMAIN} followed by each batch
 * digest string (`sha256:<hex>`) and `\n`, in plan order. Returns `sha256:<hex>`.
 */
export function datasetDigest(batchDigests: readonly string[]): string {
  const hash = createHash("sha256").update(DATASET_DIGEST_DOMAIN, "utf8");
  for (const d of batchDigests) {
    if (!/^sha256:[0-9a-f]{64}$/.test(d)) throw new TypeError("batch digests must be sha256:<64 hex>");
    hash.update(`${d}\n`, "utf8");
  }
  return `sha256:${hash.digest("hex")}`;
}
