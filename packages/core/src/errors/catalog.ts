import { ProblemCode } from "./types.ts";

interface Entry {
  status: number;
  title: string;
  /** Process exit code used by the CLI for this problem. */
  exit: number;
}

/** Status, title and CLI exit code per problem code (the README's exit-code table mirrors this). */
export const PROBLEM_CATALOG: Record<ProblemCode, Entry> = {
  VALIDATION_FAILED: { status: 422, title: "Validation failed", exit: 3 },
  MALFORMED_INPUT: { status: 400, title: "Malformed input", exit: 3 },
  UNSUPPORTED_MANIFEST_VERSION: { status: 422, title: "Unsupported manifest version", exit: 3 },
  CAP_EXCEEDED: { status: 422, title: "Volume cap exceeded", exit: 3 },
  OUTSIDE_WINDOW: { status: 409, title: "Outside the off-peak window", exit: 4 },
  FLAG_OFF: { status: 422, title: "Entity flag off or missing", exit: 3 },
  BUDGET_EXCEEDED: { status: 422, title: "Budget exceeded", exit: 4 },
  MODE_NOT_ALLOWED: { status: 403, title: "Mode not allowed in this environment", exit: 4 },
  RLS_NOT_ENFORCED: { status: 503, title: "Row-level security not enforced", exit: 5 },
  PRIVILEGED_ROLE: { status: 503, title: "Privileged database role", exit: 5 },
  PENDING_MIGRATIONS: { status: 503, title: "Pending migrations", exit: 5 },
  MIGRATION_DRIFT: { status: 503, title: "Applied migration differs from its file", exit: 5 },
  KEY_PROVIDER_UNAVAILABLE: { status: 503, title: "Key provider unavailable", exit: 5 },
  KEY_VERSION_MISMATCH: { status: 409, title: "Key version mismatch", exit: 5 },
  DEV_KEY_FORBIDDEN: { status: 403, title: "Local dev key outside isolated dev", exit: 5 },
  REFERENCE_DATETIME_MISMATCH: { status: 409, title: "reference_datetime differs from checkpoint", exit: 5 },
  DATA_DRIFT: { status: 409, title: "Data outside the manifest", exit: 5 },
  WORM_UNAVAILABLE: { status: 503, title: "WORM storage unavailable", exit: 5 },
  TELEMETRY_UNAVAILABLE: { status: 503, title: "Telemetry export unavailable", exit: 5 },
  FINANCE_DIVERGENCE: { status: 500, title: "Finance routine divergence", exit: 6 },
  CONTRACT_VIOLATION: { status: 500, title: "Entity contract violation", exit: 6 },
  UNAUTHENTICATED: { status: 401, title: "Unauthenticated", exit: 7 },
  FORBIDDEN: { status: 403, title: "Forbidden", exit: 7 },
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: "Idempotency-Key required", exit: 2 },
  IDEMPOTENCY_CONFLICT: { status: 409, title: "Idempotency key reused with another request", exit: 8 },
  IDEMPOTENCY_IN_FLIGHT: { status: 409, title: "Request with this Idempotency-Key in flight", exit: 8 },
  RATE_LIMITED: { status: 429, title: "Rate limit exceeded", exit: 8 },
  PRECONDITION_REQUIRED: { status: 428, title: "If-Match required", exit: 2 },
  PRECONDITION_FAILED: { status: 412, title: "Precondition failed", exit: 8 },
  NOT_FOUND: { status: 404, title: "Not found", exit: 9 },
  QUEUE_EXPIRED: { status: 409, title: "Queued run expired", exit: 8 },
  LEASE_HELD: { status: 409, title: "Tenant lease held by another run", exit: 8 },
  TENANT_MAINTENANCE: { status: 409, title: "Tenant under maintenance", exit: 8 },
  INVALID_STATE: { status: 409, title: "Invalid state transition", exit: 8 },
  CONFIG_INVALID: { status: 500, title: "Invalid configuration", exit: 2 },
  UNAVAILABLE: { status: 503, title: "Service unavailable", exit: 10 },
  INTERNAL: { status: 500, title: "Internal error", exit: 1 },
  LEASE_LOST: { status: 409, title: "Admission lease lost", exit: 8 },
  BATCH_DEAD_LETTERED: { status: 500, title: "Batch dead-lettered", exit: 6 },
  WORM_CONFLICT: { status: 409, title: "WORM object exists or is retained", exit: 8 },
  EVIDENCE_INVALID: { status: 422, title: "Evidence verification failed", exit: 6 },
  PAYLOAD_TOO_LARGE: { status: 413, title: "Request body too large", exit: 3 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Unsupported media type", exit: 3 },
  METHOD_NOT_ALLOWED: { status: 405, title: "Method not allowed", exit: 2 },
  BROKER_LOST: { status: 503, title: "Broker lost during the run", exit: 10 },
  SLO_BREACHED: { status: 409, title: "SLO gate breached", exit: 4 },
  DATASET_MISMATCH: { status: 409, title: "Database differs from the manifest's dataset", exit: 6 },
  EVIDENCE_TAMPERED: { status: 500, title: "Stored evidence differs from its index", exit: 6 },
  ENVIRONMENT_NOT_SERVED: { status: 403, title: "Environment not served here", exit: 4 },
  DIRECT_NOT_ALLOWED: { status: 403, title: "Direct mode outside isolated dev", exit: 4 },
  DR_TARGET_MISSED: { status: 409, title: "DR drill over its RTO/RPO target", exit: 4 },
};

const TYPE_BASE = "https://semente.dev/problems/";

/** The stable RFC 9457 `type` URI of a problem code. */
export function problemType(code: ProblemCode): string {
  return TYPE_BASE + code.toLowerCase().replaceAll("_", "-");
}

export { ProblemCode };
