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

const K1 = 0x5a827999;
const K2 = 0x6ed9eba1;
const K3 = 0x8f1bbcdc;
const K4 = 0xca62c1d6;

/**
 * Prepared namespace for {@link rowId}: the first four message words of SHA-1 are the namespace,
 * so they are read once. Create one per (tenant, entity) and reuse it for every row.
 */
export interface RowIdNamespace {
  readonly uuid: string;
  readonly words: Uint32Array;
}

/** Prepares a namespace (UUID string or 16 bytes) for fast {@link rowId} calls. */
export function prepareNamespace(namespace: Uint8Array | string): RowIdNamespace {
  const ns = typeof namespace === "string" ? uuidToBytes(namespace) : namespace;
  if (ns.length !== 16) throw new TypeError("namespace must be 16 bytes");
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    words[i] =
      (((ns[i * 4] as number) << 24) |
        ((ns[i * 4 + 1] as number) << 16) |
        ((ns[i * 4 + 2] as number) << 8) |
        (ns[i * 4 + 3] as number)) >>>
      0;
  }
  return { uuid: bytesToUuid(ns), words };
}

const W = new Int32Array(80);
const OUT = new Uint8Array(20);

/**
 * uuidv5(ns, String(ordinal)) for a non-negative safe-integer ordinal, bit-identical to
 * {@link uuidv5}. The message (16 + at most 16 bytes) always fits one SHA-1 block, so the hash is
 * computed inline on 32-bit integers instead of through a hash object per row.
 */
export function rowId(ns: RowIdNamespace | Uint8Array | string, ordinal: number): string {
  const prepared = typeof ns === "object" && "words" in ns ? ns : prepareNamespace(ns);
  if (!Number.isSafeInteger(ordinal) || ordinal < 0)
    throw new RangeError("ordinal must be a non-negative safe integer");
  const digits = String(ordinal);
  const len = 16 + digits.length;
  W.fill(0, 4, 16);
  W[0] = prepared.words[0] as number;
  W[1] = prepared.words[1] as number;
  W[2] = prepared.words[2] as number;
  W[3] = prepared.words[3] as number;
  for (let i = 0; i < digits.length; i++) {
    const pos = 16 + i;
    W[pos >> 2] = (W[pos >> 2] as number) | (digits.charCodeAt(i) << (24 - (pos & 3) * 8));
  }
  W[len >> 2] = (W[len >> 2] as number) | (0x80 << (24 - (len & 3) * 8));
  W[15] = len * 8;
  for (let t = 16; t < 80; t++) {
    const x = (W[t - 3] as number) ^ (W[t - 8] as number) ^ (W[t - 14] as number) ^ (W[t - 16] as number);
    W[t] = (x << 1) | (x >>> 31);
  }
  let a = 0x67452301;
  let b = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476;
  let e = 0xc3d2e1f0 | 0;
  for (let t = 0; t < 80; t++) {
    let f: number;
    let k: number;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = K1;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = K2;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = K3;
    } else {
      f = b ^ c ^ d;
      k = K4;
    }
    const tmp = (((a << 5) | (a >>> 27)) + f + e + k + (W[t] as number)) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  const h = [(0x67452301 + a) | 0, (0xefcdab89 + b) | 0, (0x98badcfe + c) | 0, (0x10325476 + d) | 0];
  for (let i = 0; i < 4; i++) {
    const v = h[i] as number;
    OUT[i * 4] = v >>> 24;
    OUT[i * 4 + 1] = (v >>> 16) & 0xff;
    OUT[i * 4 + 2] = (v >>> 8) & 0xff;
    OUT[i * 4 + 3] = v & 0xff;
  }
  OUT[6] = ((OUT[6] as number) & 0x0f) | 0x50;
  OUT[8] = ((OUT[8] as number) & 0x3f) | 0x80;
  return bytesToUuid(OUT);
}
