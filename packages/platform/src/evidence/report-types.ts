/** The evidence report's shape: format version, checklist items and every section of the report. */

/** Version of the report format (`schema_version`); bumped only with a new contract file. */
export const EVIDENCE_SCHEMA_VERSION = 1 as const;

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

/** A pause (`seed.run_pauses`): reason `window` (window closed) or `telemetry` (trace export down). */
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
  /** Every pause, oldest first (absent from reports signed before pauses existed). */
  pauses?: ReportPause[];
  /** The purge phase of a purge or reseed run (absent for a seed run). */
  purge?: ReportPurge;
  cost: ReportCost;
  /** DR drills only (absent from every other report). */
  dr?: ReportDr;
  checklist: CheckItem[];
}
