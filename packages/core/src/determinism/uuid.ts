import { createHash } from "node:crypto";

/**
 * The fixed root namespace of every Semente identifier. Changing it changes every ID ever
 * generated, so it never changes. (It is uuidv5(RFC 9562 NameSpace_URL, "https://semente.dev/ids"), tested.)
 */
export const SEMENTE_ROOT_NAMESPACE = "35435359-3a1e-5db0-801a-e5ac31a6b840";

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a canonical UUID string into its 16 bytes. */
export function uuidToBytes(uuid: string): Uint8Array {
  if (!UUID_RE.test(uuid)) throw new TypeError("not a canonical UUID");
  const hex = uuid.replaceAll("-", "");
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Formats 16 bytes as a lower-case canonical UUID string. */
export function bytesToUuid(b: ArrayLike<number>): string {
  const h = (i: number) => HEX[b[i] as number] as string;
  return (
    h(0) +
    h(1) +
    h(2) +
    h(3) +
    "-" +
    h(4) +
    h(5) +
    "-" +
    h(6) +
    h(7) +
    "-" +
    h(8) +
    h(9) +
    "-" +
    h(10) +
    h(11) +
    h(12) +
    h(13) +
    h(14) +
    h(15)
  );
}

function stamp(digest: Uint8Array): Uint8Array {
  const out = digest.slice(0, 16);
  out[6] = ((out[6] as number) & 0x0f) | 0x50;
  out[8] = ((out[8] as number) & 0x3f) | 0x80;
  return out;
}

/** UUID version 5 (RFC 9562 §5.5): SHA-1 of namespace bytes ‖ UTF-8 name, version and variant stamped. */
export function uuidv5(namespace: Uint8Array | string, name: string): string {
  const ns = typeof namespace === "string" ? uuidToBytes(namespace) : namespace;
  if (ns.length !== 16) throw new TypeError("namespace must be 16 bytes");
  const digest = createHash("sha1").update(ns).update(name, "utf8").digest();
  return bytesToUuid(stamp(digest));
}

/** The namespace of one entity of one tenant: uuidv5(root, `${tenant}/${entity}`). */
export function entityNamespace(tenant: string, entity: string): string {
  return uuidv5(SEMENTE_ROOT_NAMESPACE, `${tenant}/${entity}`);
}

/**
 * Prepared namespace for {@link rowId}: the constant parts of every ID of one (tenant, entity),
 * formatted once. Create one per (tenant, entity) and reuse it for every row.
 */
export interface RowIdNamespace {
  readonly uuid: string;
  /** Namespace bytes 0–3 as hex: the first group of every ID. */
  readonly head: string;
  /** Namespace bytes 10–15 as hex: the last group of every ID. */
  readonly tail: string;
}

/** Prepares a namespace (UUID string or 16 bytes) for fast {@link rowId} calls. */
export function prepareNamespace(namespace: Uint8Array | string): RowIdNamespace {
  const ns = typeof namespace === "string" ? uuidToBytes(namespace) : namespace;
  if (ns.length !== 16) throw new TypeError("namespace must be 16 bytes");
  const uuid = bytesToUuid(ns);
  return { uuid, head: uuid.slice(0, 8), tail: uuid.slice(24) };
}

/** Ordinals fit the 42 free bits of the layout. */
export const MAX_ROW_ORDINAL = 2 ** 42 - 1;

/** Three hex digits of 0–4095 (the ordinal's 12-bit group), from a table: this runs for every ID. */
const HEX3: string[] = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, "0"));

/**
 * The ID of row `ordinal` in namespace `ns`: an RFC 9562 version-8 UUID whose first 4 and last 6
 * bytes are the namespace's (itself uuidv5(root, `${tenant}/${entity}`), so IDs are namespaced by
 * tenant + entity and two namespaces share an ID only if 80 bits of their SHA-1 agree), and whose
 * middle 42 bits are the ordinal, most significant first around the version and variant bits:
 *
 *   hhhhhhhh-OOOO-8OOO-[89ab]OOO-tttttttttttt
 *
 * Byte order (PostgreSQL's uuid order) is ordinal order, so a table's primary key and every index
 * led by (tenant_id, id) grow at their right edge as batches are inserted: append-only B-tree
 * inserts instead of random ones (measured in docs/performance.md).
 */
export function rowId(ns: RowIdNamespace | Uint8Array | string, ordinal: number): string {
  const prepared = typeof ns === "object" && "head" in ns ? ns : prepareNamespace(ns);
  if (!Number.isSafeInteger(ordinal) || ordinal < 0 || ordinal > MAX_ROW_ORDINAL)
    throw new RangeError(`ordinal must be an integer in [0, ${MAX_ROW_ORDINAL}]`);
  const high = Math.floor(ordinal / 2 ** 26); // bits 41..26
  const low = ordinal % 2 ** 26; // bits 25..0
  const variant = 0x8000 | (low & 0x3fff);
  return `${prepared.head}-${HEX[high >>> 8]}${HEX[high & 0xff]}-8${HEX3[low >>> 14]}-${HEX[variant >>> 8]}${HEX[variant & 0xff]}-${prepared.tail}`;
}
