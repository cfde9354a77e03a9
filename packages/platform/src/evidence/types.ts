/** The signed envelope, the evidence index and the evidence service's contract. */
import type { Logger } from "../telemetry/index.ts";
import type { Sql } from "../db/index.ts";
import type { KeyProvider } from "../keys/index.ts";
import type { CostModel } from "@semente/core/manifest";
import type { WormStore } from "./worm-types.ts";

/** The DSSE `payloadType` of every Semente evidence report. */
export const EVIDENCE_PAYLOAD_TYPE = "application/vnd.semente.evidence+json";

/** One signature of a DSSE envelope. */
export interface DsseSignature {
  keyid: string;
  /** Standard base64 of the Ed25519 signature over the PAE. */
  sig: string;
}

/** DSSE v1 envelope (https://github.com/secure-systems-lab/dsse). */
export interface DsseEnvelope {
  payloadType: string;
  /** Standard base64 of the payload bytes (the report's canonical JSON). */
  payload: string;
  signatures: DsseSignature[];
}

/** A row of `seed.evidence_index`. */
export interface EvidenceIndexEntry {
  runId: string;
  location: string;
  /** Hex SHA-256 of the stored envelope bytes. */
  sha256: string;
  /** Hex SHA-256 of the canonical report (the DSSE payload). */
  payloadSha256: string;
  sizeBytes: number;
  signatureKeyId: string;
  storage: "filesystem" | "s3";
  retainUntil: Date;
  verifiedAt: Date | null;
  createdAt: Date;
}

/** Outcome of `produce`: the index entry, or why nothing was stored. */
export type ProduceResult =
  | { status: "stored"; entry: EvidenceIndexEntry; envelope: DsseEnvelope }
  | { status: "existing"; entry: EvidenceIndexEntry }
  | { status: "skipped"; reason: "dry_run" };

/** Options of `buildReport`. */
export interface BuildReportOptions {
  /** Control-plane pool (`semente_app`); checkpoints are read under the run's tenant (RLS). */
  sql: Sql;
  runId: string;
  /** FinOps cost model; without it the cost figures are null with a note. */
  costModel?: CostModel;
  /**
   * Clock of `generated_at`.
   * @default the system clock
   */
  now?: () => Date;
}

/** Options of `createEvidenceService`. */
export interface EvidenceServiceOptions {
  sql: Sql;
  store: WormStore;
  keys: KeyProvider;
  log: Logger;
  costModel?: CostModel;
  /**
   * Retention of each report in days (≥ 365).
   * @default 365
   */
  retentionDays?: number;
  /**
   * Clock of `generated_at`, retention and `verified_at`.
   * @default the system clock
   */
  now?: () => Date;
}

/** The evidence service: one signed, verified, indexed report per run. */
export interface EvidenceService {
  /**
   * Build → PII/secret scan → sign → WORM put → read back and verify → index. Idempotent: a run
   * that already has an index row returns it and writes nothing. Dry runs store nothing.
   */
  produce(runId: string): Promise<ProduceResult>;
  /** The index row of a run, or null. */
  find(runId: string): Promise<EvidenceIndexEntry | null>;
}
