import type { ProblemCode, ProblemIssue } from "../errors/index.ts";
import type { Entity, VolumetryEntity } from "./entities.ts";

export { ENTITIES, ENTITY_PARENTS, VOLUMETRY_ENTITIES } from "./entities.ts";
export type { Entity, VolumetryEntity } from "./entities.ts";

/** Manifest schema versions this build implements. */
export const MANIFEST_SCHEMA_VERSION = 1 as const;

/** Seeding modes. */
export const Mode = {
  /** Deterministic happy-path dataset, batches run sequentially. */
  baseline: "baseline",
  /** Volume/performance dataset with state distributions (*carga*). Staging and perf only. */
  load: "load",
  /** Disaster-recovery regeneration rehearsal. Staging and perf only. */
  dr: "dr",
} as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

/** Deployment environments a manifest targets. */
export const Environment = {
  /** Developer machines and CI. */
  dev: "dev",
  /** Homologation (UAT). */
  homolog: "homolog",
  /** Dedicated staging: the only non-perf environment where load/DR may run (R6.10). */
  staging: "staging",
  /** Performance testing. */
  perf: "perf",
  /** Production (controlled): baseline only, small volumes. */
  prod: "prod",
} as const;
export type Environment = (typeof Environment)[keyof typeof Environment];

/**
 * Non-happy states per entity that `state_distribution` may assign (load/DR only). Whatever
 * percentage is left over stays in the entity's happy state (`active`, `open`, `paid`…).
 */
export const ENTITY_STATES = {
  customers: ["blocked", "closed"],
  bank_accounts: ["blocked", "closed"],
  loans: ["defaulted", "cancelled", "paid"],
  installments: ["overdue", "cancelled"],
  credit_limits: ["suspended", "cancelled"],
  contracts: ["terminated", "cancelled"],
} as const;
export type StatefulEntity = keyof typeof ENTITY_STATES;

/** Upper bounds of children per parent row (e.g. at most 3 addresses per customer). */
export const MAX_CHILDREN_PER_PARENT = {
  addresses: { parent: "customers", max: 3 },
} as const;

/** Rows requested for one entity and the manifest's own ceiling for it. */
export interface VolumeEntry {
  /** Rows to generate (integer ≥ 0). Must be ≤ `cap`. */
  count: number;
  /** The manifest's own ceiling for this entity; must be ≤ the Q11 cap for environment × mode. */
  cap: number;
}

/** Loans also state their term, from which installments are derived. */
export interface LoanVolumeEntry extends VolumeEntry {
  /** Installments per loan, 1–420 months (35 years, the longest mortgage term the schema accepts). `installments = count × term_months`. */
  term_months: number;
}

/** Row counts per entity. Every key is required (an explicit 0 turns an entity off). */
export type Volumetry = { [E in Exclude<VolumetryEntity, "loans">]: VolumeEntry } & { loans: LoanVolumeEntry };

/** Percentages (0–100, summing to ≤ 100) of non-happy states, per stateful entity. */
export type StateDistribution = {
  [E in StatefulEntity]?: { [S in (typeof ENTITY_STATES)[E][number]]?: number };
};

/** Manifest metadata. */
export interface ManifestMetadata {
  /** Target environment; decides the Q11 caps and the modes allowed. */
  environment: Environment;
  /** Tenant slug, `^[a-z0-9][a-z0-9-]{1,62}$`. The one `tenants` row is this tenant. */
  tenant: string;
  /** Profile name, `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`. */
  profile: string;
  /** Manifest revision, semver-like `MAJOR.MINOR.PATCH[-pre|+build]`. */
  version: string;
  /** Owning team (free text, ≤ 100 chars). */
  owner?: string;
}

/** Central rate limit and retry policy. */
export interface RateLimit {
  /** Rows per second the seeders aim for (1–1,000,000); must be ≤ `cap_rows_per_second`. */
  target_rows_per_second: number;
  /** Hard ceiling in rows per second (1–1,000,000). */
  cap_rows_per_second: number;
  /** Exponential backoff with jitter for 429s and retryable failures. */
  backoff: {
    /** First delay in ms (1–60,000). */
    initial_ms: number;
    /** Largest delay in ms (1–600,000), ≥ `initial_ms`. */
    max_ms: number;
    /** Growth factor per attempt (1–10). */
    multiplier: number;
    /** Retries before a batch goes to the DLQ (0–20). */
    max_retries: number;
  };
}

/**
 * Retention per mode as ISO 8601 durations limited to days, weeks and hours (`P30D`, `P1W`,
 * `PT12H`, `P1DT6H`); each > 0 and ≤ 30 days (R6.1).
 */
export interface Ttl {
  baseline: string;
  load: string;
  dr: string;
}

/** Cost ceiling for the run (R6.7): alert at 80 %, refuse/abort at 100 %. */
export interface Budget {
  /** Maximum cost (> 0) in `currency`. */
  max_cost: number;
  /** ISO 4217 code; must equal the cost model's currency. */
  currency: string;
}

/**
 * The daily off-peak window, `HH:MM` UTC (00:00–23:59). `end_utc < start_utc` crosses midnight;
 * `start_utc == end_utc` is refused. The window is `[start, end)` at minute resolution, except that
 * `end_utc: "23:59"` includes the whole last minute (so `00:00`–`23:59` is always open).
 */
export interface Window {
  start_utc: string;
  end_utc: string;
}

/**
 * Per-transaction timeouts (R6.2). Optional: `resolveManifest` fills the mode defaults —
 * baseline 30,000 / 5,000 ms, load and dr 90,000 / 15,000 ms.
 */
export interface Timeouts {
  /** `statement_timeout` in ms (1,000–120,000). */
  statement_timeout_ms?: number;
  /** `lock_timeout` in ms (100–30,000), ≤ `statement_timeout_ms`. */
  lock_timeout_ms?: number;
}

/** Runtime SLO gate (R6.9). */
export interface Slo {
  /** p95 batch duration ceiling in ms (1–3,600,000). */
  p95_batch_ms: number;
  /** p99 batch duration ceiling in ms (≤ 3,600,000), ≥ `p95_batch_ms`. */
  p99_batch_ms: number;
  /** Minimum sustained throughput (0–1,000,000), ≤ `rate_limit.cap_rows_per_second`. */
  min_rows_per_second: number;
  /** Error budget (0–1): failed batch deliveries over the last 50 outcomes above it trip the gate. */
  max_error_rate: number;
}

/**
 * RTO/RPO targets of a DR drill (`semente dr drill`), DR mode only. Each may only tighten the
 * spec's targets (R6.8: RPO ≤ 5 min, RTO ≤ 60 min); an absent field keeps the spec's.
 */
export interface DrTargets {
  /** Loss → rows verified, in seconds (1–3,600). */
  rto_seconds?: number;
  /** Acknowledged data the drill may lose, in seconds (0–300). */
  rpo_seconds?: number;
}

/** Feature flag per entity; every entity that will be written must be `true` (fail-closed). */
export type Flags = { [E in Entity]?: boolean };

/** A seed profile, schema v1: exactly what the user wrote (no defaults filled in). */
export interface Manifest {
  /** Must be exactly 1, else `UNSUPPORTED_MANIFEST_VERSION`. */
  schema_version: 1;
  metadata: ManifestMetadata;
  mode: Mode;
  /** ISO 8601 UTC instant ending in `Z` (`2025-01-01T00:00:00Z`); every generated date derives from it. */
  reference_datetime: string;
  /** PII masking key version (integer 1–2,147,483,647, a PostgreSQL `integer`); must match the key provider and the checkpoints. */
  key_version: number;
  volumetry: Volumetry;
  /** Load/DR only; forbidden in baseline (R1.3). */
  state_distribution?: StateDistribution;
  rate_limit: RateLimit;
  ttl: Ttl;
  budget: Budget;
  window: Window;
  timeouts?: Timeouts;
  /** Rows per batch (1–10,000). */
  batch_size: number;
  flags: Flags;
  slo: Slo;
  /** DR mode only: the drill's RTO/RPO targets, at most the spec's. */
  dr_targets?: DrTargets;
}

/** A manifest with its defaults applied (never hashed). */
export interface ResolvedManifest extends Omit<Manifest, "timeouts"> {
  timeouts: Required<Timeouts>;
}

/** Problem codes a manifest issue may carry. */
export type ManifestProblemCode = Extract<
  ProblemCode,
  | "VALIDATION_FAILED"
  | "MALFORMED_INPUT"
  | "UNSUPPORTED_MANIFEST_VERSION"
  | "CAP_EXCEEDED"
  | "MODE_NOT_ALLOWED"
  | "FLAG_OFF"
>;

/** One manifest problem: JSON pointer, message, the code it maps to, and (after parsing) line/column. */
export interface ManifestIssue extends ProblemIssue {
  code: ManifestProblemCode;
}

/** Options of `parseManifest`. */
export interface ParseManifestOptions {
  /**
   * Where the text came from; used in messages, to pick JSON vs YAML, and — when it looks like
   * `…/seed_profiles/<env>/<tenant>.yaml` — to check that metadata matches the path.
   */
  filename?: string;
  /** HTTP content type; `application/json` (or `+json`) means the text must be strict JSON. */
  contentType?: string;
}

/** Where a parsed manifest came from. */
export interface ManifestSource {
  format: "yaml" | "json";
  filename?: string;
}

/** Result of `parseManifest`. */
export interface ParsedManifest {
  manifest: Manifest;
  /** `sha256:<hex>` of the canonical JSON of `manifest`. */
  hash: string;
  source: ManifestSource;
}

/** Planned row counts (including the tenant row and derived installments). */
export interface PlannedRows {
  perEntity: Record<Entity, number>;
  total: number;
}

/** Unit costs of one entity in the FinOps cost model. */
export interface EntityUnitCost {
  /** Cost per 1,000 rows written (compute, WAL, index maintenance). */
  per_1k_rows: number;
  /** Average stored bytes per row, indexes included; drives the storage estimate. */
  avg_row_bytes: number;
}

/**
 * The versioned FinOps cost model (`configs/finops/seed-data.cost-model.yaml`, R6.7). All unit
 * costs are in `currency`, which a manifest's `budget.currency` must equal.
 */
export interface CostModel {
  /** Cost model format version; must be 1. */
  version: 1;
  /** ISO 4217 code of every unit cost. */
  currency: string;
  /** Unit costs per entity (all entities, including tenants and installments). */
  entities: Record<Entity, EntityUnitCost>;
  /** Storage cost per GB-month (1 GB = 10^9 bytes, 1 month = 30 days), held for the mode's TTL. */
  storage: { per_gb_month: number };
  /** Cost of building, signing and storing one WORM evidence report (one per run). */
  evidence: { per_report: number };
  /** Cost per minute of run duration (rows ÷ `rate_limit.target_rows_per_second`). */
  compute: { per_minute: number };
}

/** Cost estimate of a manifest under a cost model; amounts rounded to 6 decimal places. */
export interface CostEstimate {
  total: number;
  currency: string;
  /** Rows-written plus storage cost per entity. */
  perEntity: Record<Entity, number>;
  /** Totals by cost kind. */
  breakdown: { rows: number; storage: number; evidence: number; compute: number };
  /** `total / budget.max_cost`. */
  ratio: number;
  /** `ratio >= 0.8`: alert (R6.7). */
  alert: boolean;
  /** `ratio > 1`: refuse before the run / abort during it (R6.7). */
  overBudget: boolean;
}
