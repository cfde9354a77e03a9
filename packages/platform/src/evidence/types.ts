import type { Logger } from "../telemetry/index.ts";
import type { Sql } from "../db/index.ts";
import type { KeyProvider } from "../keys/index.ts";
import type { CostModel } from "@semente/core/manifest";

/** The DSSE `payloadType` of every Semente evidence report. */
export const EVIDENCE_PAYLOAD_TYPE = "application/vnd.semente.evidence+json";

/** Version of the report format (`schema_version`); bumped only with a new contract file. */
export const EVIDENCE_SCHEMA_VERSION = 1 as const;

/** WORM retention floor (R7.2): one year. Configurable upward only. */
export const MIN_RETENTION_DAYS = 365;

/** Outcome of one checklist item. */
export const CheckStatus = {
  /** The item holds, and `evidence` shows why. */
  pass: "pass",
  /** The item does not hold; the report still exists and says so. */
  fail: "fail",
  /** The item cannot apply to this run (`evidence.reason` says why). */
  notApplicable: "not_applicable",
} as const;
export type CheckStatus = (typeof CheckStatus)[keyof typeof CheckStatus];

/** The automated checklist items, in report order (R7.1). */
export const CheckId = {
  /** No raw PII in the report; every checkpoint used the run's masking key version. */
  pii: "pii",
  /** The planner's recorded RLS preflight: role attributes and every tenant table's RLS and policies. */
  rls: "rls",
  /** Rows the seeder validated against their entity contract, per checkpoint; contract violations. */
  contracts: "contracts",
  /** No duplicate or overlapping batch in the checkpoints. */
  idempotency: "idempotency",
  /** 429s the gateway audited for the run's principal and tenant; measured throughput against the cap. */
  rateLimit: "rate_limit",
  /** Batch duration p95/p99 and throughput against the manifest SLO. */
  slo: "slo",
  /** The report's dataset digest equals the one the run recorded. */
  dataset: "dataset",
  /** The run's trace and span ids; "not recorded" (never pass) until telemetry records them. */
  trace: "trace",
  /** DR drills only: RTO and RPO measured and within their targets, the rows verified value by value. */
  dr: "dr",
} as const;
export type CheckId = (typeof CheckId)[keyof typeof CheckId];

/** One checklist item: a verdict and the values that prove it (never PII or secrets). */
export interface CheckItem {
  id: CheckId;
  status: CheckStatus;
  /** One sentence a human reads first. */
  summary: string;
  /** The values the verdict rests on; `reason` when `not_applicable`. A `pass` without any is refused. */
  evidence: Record<string, string | number | boolean | null | string[] | number[]>;
}

/** One batch as the report shows it. */
export interface ReportBatch {
  entity: string;
  batch_index: number;
  level: number | null;
  from_ordinal: number;
  to_ordinal: number;
  /** `seed.batches.state`, or `committed` for a checkpoint without a batch row. */
  state: string;
  attempts: number;
  row_count: number | null;
  /** `sha256:<hex>` from the checkpoint, or null when the batch never committed. */
  digest: string | null;
  duration_ms: number | null;
}

/** Rows per entity: planned by the manifest, written per the checkpoints. */
export interface ReportEntity {
  entity: string;
  rows_planned: number | null;
  rows_written: number;
  batches: number;
}

/** Estimated (before the run) and measured (from the rows written and the run's duration) cost. */
export interface ReportCost {
  currency: string | null;
  budget: number | null;
  estimated: number | null;
  measured: number | null;
  /** measured / budget, when both are known. */
  ratio: number | null;
  breakdown: { rows: number; storage: number; evidence: number; compute: number } | null;
  /** Why a figure is null (no cost model, manifest not parseable…). */
  note: string | null;
  /** What the planner accrued live in `seed.budget_ledger`; null when it has no row for the run. */
  ledger?: ReportLedger | null;
  /** `measured` against `estimated` and against the ledger; null when either figure is missing. */
  reconciliation?: {
    measured_minus_estimated: number;
    measured_minus_ledger: number | null;
    /** Seconds the run spent paused, which `breakdown.compute` does not charge. */
    paused_s: number;
  } | null;
}

/** A ledger alert or abort row. */
export interface ReportLedgerEvent {
  amount: number;
  ratio: number | null;
  recorded_at: string;
}

/** A DR drill's measurements (`seed.dr_drills`), as the report shows them. */
export interface ReportDr {
  /** The loss instant (database clock, right before the purge); null when it was never captured. */
  loss_at: string | null;
  purged_at: string | null;
  regenerated_at: string | null;
  /** When the verification phase ended (whatever its outcome). */
  verified_at: string | null;
  /** verified_at − loss_at, seconds; null unless the rows were verified equal to the manifest. */
  rto_seconds: number | null;
  /** Acknowledged data lost, seconds; null when not established or unbounded (`rpo_basis` says which). */
  rpo_seconds: number | null;
  /** The manifest's `dr_targets`, each capped by the spec's (RTO 3600 s, RPO 300 s). */
  targets: { rto_seconds: number; rpo_seconds: number } | null;
  rows_at_loss: number | null;
  rows_purged: number | null;
  /** Rows held at the loss that no checkpoint explains (not re-derivable). */
  unexplained_rows: number | null;
  batches_acknowledged: number | null;
  batches_restored: number | null;
  batches_not_restored: number | null;
  /** Dataset digest of the batches acknowledged at the loss (compare with `dataset.digest`). */
  acknowledged_digest: string | null;
  verification: {
    ok: boolean;
    role: string;
    rows_compared: number;
    differences: number;
    checkpoint_mismatches: number;
    /** The first differences, named by entity, ordinal and column, never by value. */
    first_differences: string[];
  } | null;
  /** How the RPO was derived. */
  rpo_basis: string;
}

/** The run's `seed.budget_ledger` rows, summed. */
export interface ReportLedger {
  /** The `estimate` row (written when the run started). */
  estimate: number | null;
  /** Number of `measurement` rows (one per committed batch). */
  measurements: number;
  /** Sum of the measurements plus the evidence reserve: the planner's spent figure at the end. */
  measured: number;
  alert: ReportLedgerEvent | null;
  abort: ReportLedgerEvent | null;
}

/** The purge phase of a purge or reseed run. */
export interface ReportPurge {
  /** The mode whose checkpoints it cleared. */
  mode: string;
  rows_deleted: number;
  /** Rows deleted per entity in purge order: children first, then `checkpoints`. */
  deleted: { entity: string; rows: number }[];
  /** When the database closed the phase (nothing of the tenant left); null if it never did. */
  completed_at: string | null;
  /** The dataset digest of the tenant's now-empty data (the digest of no batches); null until closed. */
  digest_after: string | null;
}

/** A window pause (`seed.run_pauses`). */
export interface ReportPause {
  reason: string;
  paused_at: string;
  /** Null when the run ended while paused. */
  resumed_at: string | null;
  duration_s: number | null;
}

/**
 * The evidence report (contract `contracts/evidence-report.schema.json`). snake_case JSON, never
 * PII or secrets; `labels` are mandatory and equal the run's own tenant, environment and id.
 */
export interface EvidenceReport {
  schema_version: typeof EVIDENCE_SCHEMA_VERSION;
  labels: { tenant: string; environment: string; run_id: string };
  run: {
    id: string;
    tenant: string;
    environment: string;
    mode: string;
    /** `seed`, `purge`, `reseed` or `dr_drill` (absent from reports signed before purge runs existed). */
    operation?: string;
    dry_run: boolean;
    state: string;
    /** Problem code of a failed, aborted or cancelled run. */
    reason_code: string | null;
    manifest_hash: string;
    manifest_version: string;
    reference_datetime: string;
    key_version: number;
    /** Principal subject; a subject that itself looks like PII is replaced by its `sha256:` pseudonym. */
    principal: string;
  };
  timestamps: {
    created_at: string;
    started_at: string | null;
    finished_at: string | null;
    generated_at: string;
  };
  trace: { trace_id: string | null; span_ids: string[] };
  entities: ReportEntity[];
  batches: ReportBatch[];
  dataset: {
    /** Recomputed from the checkpoint digests in plan order (`sha256:<hex>`); null without checkpoints. */
    digest: string | null;
    /** What the run recorded (`seed.runs.dataset_digest`), as `sha256:<hex>`. */
    recorded_digest: string | null;
    /** Both present and equal. */
    matches_recorded: boolean;
    checkpoints: number;
  };
  volumes: {
    rows_planned: number | null;
    rows_written: number;
    batches_planned: number;
    batches_committed: number;
  };
  /** Every window pause, oldest first (absent from reports signed before pauses existed). */
  pauses?: ReportPause[];
  /** The purge phase of a purge or reseed run (absent for a seed run). */
  purge?: ReportPurge;
  cost: ReportCost;
  /** DR drills only (absent from every other report). */
  dr?: ReportDr;
  checklist: CheckItem[];
}

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
