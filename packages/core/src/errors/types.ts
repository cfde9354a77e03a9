/**
 * Stable problem codes. Each maps to an RFC 9457 `type` URI
 * (`https://semente.dev/problems/<code-in-kebab-case>`), an HTTP status and a CLI exit code.
 * Codes never change meaning; new ones are appended.
 */
export const ProblemCode = {
  /** The request or manifest does not match its schema (422). */
  VALIDATION_FAILED: "VALIDATION_FAILED",
  /** YAML/JSON could not be parsed at all (400). */
  MALFORMED_INPUT: "MALFORMED_INPUT",
  /** Manifest declares a schema version this build does not implement (422). */
  UNSUPPORTED_MANIFEST_VERSION: "UNSUPPORTED_MANIFEST_VERSION",
  /** Requested volume exceeds the Q11 cap for entity × mode × environment (422). */
  CAP_EXCEEDED: "CAP_EXCEEDED",
  /** Outside the manifest's off-peak window (409). */
  OUTSIDE_WINDOW: "OUTSIDE_WINDOW",
  /** An entity's feature flag is off or missing (422). */
  FLAG_OFF: "FLAG_OFF",
  /** Estimated or measured cost over budget (422 / abort). */
  BUDGET_EXCEEDED: "BUDGET_EXCEEDED",
  /** Load/DR requested outside the dedicated environments (403). */
  MODE_NOT_ALLOWED: "MODE_NOT_ALLOWED",
  /** RLS disabled or not forced on a tenant table (503, fail-closed). */
  RLS_NOT_ENFORCED: "RLS_NOT_ENFORCED",
  /** The connected role is a superuser or has BYPASSRLS (503, fail-closed). */
  PRIVILEGED_ROLE: "PRIVILEGED_ROLE",
  /** A migration file is not applied (503, fail-closed). */
  PENDING_MIGRATIONS: "PENDING_MIGRATIONS",
  /** An applied migration's checksum differs from the file on disk (503, fail-closed). */
  MIGRATION_DRIFT: "MIGRATION_DRIFT",
  /** Key provider (Vault) unreachable (503, fail-closed). */
  KEY_PROVIDER_UNAVAILABLE: "KEY_PROVIDER_UNAVAILABLE",
  /** Key version differs from manifest or checkpoint (409, fail-closed). */
  KEY_VERSION_MISMATCH: "KEY_VERSION_MISMATCH",
  /** Local dev key used outside an isolated dev environment (403, fail-closed). */
  DEV_KEY_FORBIDDEN: "DEV_KEY_FORBIDDEN",
  /** reference_datetime differs from the last checkpoint (409, fail-closed). */
  REFERENCE_DATETIME_MISMATCH: "REFERENCE_DATETIME_MISMATCH",
  /** Data in the database that the manifest does not explain (409, fail-closed). */
  DATA_DRIFT: "DATA_DRIFT",
  /** WORM evidence storage unavailable (503, fail-closed). */
  WORM_UNAVAILABLE: "WORM_UNAVAILABLE",
  /** Trace export failing past its bound where telemetry is required (503, fail-closed, T067). */
  TELEMETRY_UNAVAILABLE: "TELEMETRY_UNAVAILABLE",
  /** Finance routine disagrees with a stored value (500). */
  FINANCE_DIVERGENCE: "FINANCE_DIVERGENCE",
  /** A generated row fails its entity contract (500). */
  CONTRACT_VIOLATION: "CONTRACT_VIOLATION",
  /** Missing/invalid bearer token (401). */
  UNAUTHENTICATED: "UNAUTHENTICATED",
  /** Authenticated but not allowed (403). */
  FORBIDDEN: "FORBIDDEN",
  /** POST without Idempotency-Key (400). */
  IDEMPOTENCY_KEY_REQUIRED: "IDEMPOTENCY_KEY_REQUIRED",
  /** Same Idempotency-Key, different request fingerprint (409). */
  IDEMPOTENCY_CONFLICT: "IDEMPOTENCY_CONFLICT",
  /** Same Idempotency-Key while the first request is still in flight (409 + Retry-After). */
  IDEMPOTENCY_IN_FLIGHT: "IDEMPOTENCY_IN_FLIGHT",
  /** Rate limit exceeded (429 + Retry-After). */
  RATE_LIMITED: "RATE_LIMITED",
  /** If-Match required (428). */
  PRECONDITION_REQUIRED: "PRECONDITION_REQUIRED",
  /** If-Match stale (412). */
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
  /** Resource not found (404). */
  NOT_FOUND: "NOT_FOUND",
  /** Queued run expired before a slot freed (409). */
  QUEUE_EXPIRED: "QUEUE_EXPIRED",
  /** A run for the same tenant × environment holds the lease (409). */
  LEASE_HELD: "LEASE_HELD",
  /** Tenant under maintenance (409). */
  TENANT_MAINTENANCE: "TENANT_MAINTENANCE",
  /** Invalid state transition, e.g. cancelling a completed run (409). */
  INVALID_STATE: "INVALID_STATE",
  /** Invalid configuration (environment variable) at start-up. */
  CONFIG_INVALID: "CONFIG_INVALID",
  /** Broker or database unavailable (503). */
  UNAVAILABLE: "UNAVAILABLE",
  /** Anything else (500). */
  INTERNAL: "INTERNAL",
  /** The run's global slot or tenant lease expired and was taken over by another holder (409). */
  LEASE_LOST: "LEASE_LOST",
  /** A batch exhausted its deliveries and sits in the DLQ; its run fails closed (500). */
  BATCH_DEAD_LETTERED: "BATCH_DEAD_LETTERED",
  /** A write-once (WORM) object already exists or is still under retention (409). */
  WORM_CONFLICT: "WORM_CONFLICT",
  /** An evidence report fails verification: hash, signature, schema or dataset digest (422). */
  EVIDENCE_INVALID: "EVIDENCE_INVALID",
  /** Request body over the gateway's limit, cut while it streamed (413). */
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  /** Request body in a media type the route does not read (415). */
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  /** The path exists but not with this method (405 + `Allow`). */
  METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
  /** NATS stayed unreachable longer than the planner's bound while the run was executing; it fails (503). */
  BROKER_LOST: "BROKER_LOST",
  /** Live batch p95/p99 latency over the manifest's `slo` thresholds: the run is aborted (409). */
  SLO_BREACHED: "SLO_BREACHED",
  /** Rows read back differ from the manifest's dataset: missing, extra or a differing value (409). */
  DATASET_MISMATCH: "DATASET_MISMATCH",
  /** The stored WORM evidence object is missing or its hash differs from the index (500). */
  EVIDENCE_TAMPERED: "EVIDENCE_TAMPERED",
  /** The manifest or run names an environment this gateway does not serve (`SEMENTE_ENV`) (403). */
  ENVIRONMENT_NOT_SERVED: "ENVIRONMENT_NOT_SERVED",
  /** `semente seed --direct` (bypassing the gateway) outside isolated dev (CLI only). */
  DIRECT_NOT_ALLOWED: "DIRECT_NOT_ALLOWED",
  /** A DR drill restored and verified the tenant, but RTO or RPO is over its target (409). */
  DR_TARGET_MISSED: "DR_TARGET_MISSED",
} as const;
export type ProblemCode = (typeof ProblemCode)[keyof typeof ProblemCode];

/** One detail of a validation problem: where and what. */
export interface ProblemIssue {
  /** JSON Pointer (RFC 6901) into the submitted document. */
  pointer: string;
  /** Human-readable message; never echoes secret or PII values. */
  message: string;
  /** 1-based line in the YAML source, when known. */
  line?: number;
  /** 1-based column in the YAML source, when known. */
  column?: number;
}

/** RFC 9457 problem details body, with our extension members. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: ProblemCode;
  errors?: ProblemIssue[];
  [extension: string]: unknown;
}
