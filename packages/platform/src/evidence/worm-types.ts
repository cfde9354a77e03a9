/** Write-once-read-many storage of the signed reports: its contract and retention floor. */

/** WORM retention floor (R7.2): one year. Configurable upward only. */
export const MIN_RETENTION_DAYS = 365;

/** What a WORM object carries beside its bytes. */
export interface WormObjectInfo {
  key: string;
  /** `s3://bucket/key` or `file:///…`; stored in `seed.evidence_index.location`. */
  location: string;
  /** Hex SHA-256 of the stored bytes. */
  sha256: string;
  size: number;
  retainUntil: Date;
}

/** Options of {@link WormStore.put}. */
export interface WormPutOptions {
  /** Retention end; at least {@link MIN_RETENTION_DAYS} days from now. */
  retainUntil: Date;
  /** Hex SHA-256 of `bytes`; checked before the write and again on read-back. */
  sha256: string;
}

/**
 * Write-once-read-many storage. Every failure is a `SementeError`: `WORM_UNAVAILABLE` when the
 * backend cannot be used (fail-closed), `WORM_CONFLICT` on a second write of a key or a removal
 * before retention ends, `NOT_FOUND` for a missing key.
 */
export interface WormStore {
  /** Backend name as stored in `seed.evidence_index.storage`. */
  readonly kind: "filesystem" | "s3";
  /** Throws `WORM_UNAVAILABLE` unless the backend is reachable, writable and enforces retention. */
  preflight(): Promise<void>;
  /** Writes `bytes` under `key` once; the stored copy is read back and its hash verified. */
  put(key: string, bytes: Uint8Array, options: WormPutOptions): Promise<WormObjectInfo>;
  get(key: string): Promise<Uint8Array>;
  /** Metadata of `key`, or null when absent. */
  head(key: string): Promise<WormObjectInfo | null>;
  /** Deletes `key` once its retention ended; before that, `WORM_CONFLICT`. */
  remove(key: string): Promise<void>;
  /** The location string of `key`. */
  location(key: string): string;
}
