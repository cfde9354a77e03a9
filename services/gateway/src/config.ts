import { TELEMETRY_VARS } from "@semente/platform/telemetry";
import { COMMON_VARS, int, loadConfig, NATS_VARS, oneOf, str } from "@semente/platform/config";
import type { RateLimitPolicy } from "@semente/platform/request-guards";
import { WORM_VARS, type WormReadOptions } from "@semente/platform/evidence";
import { PIPELINE_VARS } from "@semente/platform/pipeline";
import { DEFAULT_COST_MODEL_PATH } from "@semente/platform/config";
import type { Environment, Mode } from "@semente/core/manifest";

/** Environment variables of the gateway (the README's configuration table lists them). */
export const GATEWAY_VARS = {
  SEMENTE_APP_DATABASE_URL: { ...COMMON_VARS.SEMENTE_APP_DATABASE_URL, aliases: ["DATABASE_URL"] },
  ...NATS_VARS,
  GATEWAY_PORT: COMMON_VARS.GATEWAY_PORT,
  GATEWAY_RATE_LIMIT_WINDOW_S: int("Rate-limit window in seconds (all policies)", "60", 1, 86_400),
  GATEWAY_RATE_LIMIT_PRINCIPAL: int("Requests per window per token subject", "120", 1),
  GATEWAY_RATE_LIMIT_TENANT: int("Requests per window per tenant (all principals)", "600", 1),
  GATEWAY_RATE_LIMIT_IP: int("Requests per window per client IP for unauthenticated requests", "60", 1),
  GATEWAY_RATE_LIMIT_OPS: int("Requests per window per client IP on /healthz, /readyz and /metrics", "600", 1),
  GATEWAY_TRUST_PROXY: oneOf(
    "Take the client IP from X-Forwarded-For (behind a trusted proxy)",
    ["true", "false"],
    "false",
  ),
  GATEWAY_IDEMPOTENCY_TTL_BASELINE_S: int("Idempotency-Key retention for baseline runs and validations", "86400", 60),
  GATEWAY_IDEMPOTENCY_TTL_LOAD_S: int("Idempotency-Key retention for load runs", "86400", 60),
  GATEWAY_IDEMPOTENCY_TTL_DR_S: int("Idempotency-Key retention for DR runs", "86400", 60),
  SEMENTE_GLOBAL_SLOTS: COMMON_VARS.SEMENTE_GLOBAL_SLOTS,
  GATEWAY_TENANT_LEASE_TTL_S: int("Tenant × environment lease TTL", "60", 1, 3600),
  GATEWAY_SLOT_LEASE_TTL_S: int("Global slot lease TTL (a crashed holder frees its slot after this)", "60", 1, 3600),
  GATEWAY_QUEUE_TTL_S: int("How long a queued run waits for a slot before it expires", "300", 1, 86_400),
  GATEWAY_PURGE_INTERVAL_S: int("Period of the expired idempotency key / idle bucket purge", "300", 1),
  GATEWAY_MAX_BODY_BYTES: int("Largest accepted request body", "1048576", 1024),
  GATEWAY_PARSE_WORKERS: int("Worker threads parsing and validating manifests off the event loop", "1", 1, 64),
  GATEWAY_PARSE_TIMEOUT_MS: int("A manifest parse running longer is abandoned (413)", "10000", 100, 600_000),
  COST_MODEL_PATH: str("FinOps cost model used for budget estimates", DEFAULT_COST_MODEL_PATH),
  CONTROL_NATS_NAME_PREFIX: COMMON_VARS.CONTROL_NATS_NAME_PREFIX,
  CONTROL_NATS_SUBJECT_PREFIX: COMMON_VARS.CONTROL_NATS_SUBJECT_PREFIX,
  // The DLQ replay route reads the pipeline's SEED_DLQ and re-publishes to its work queues.
  PIPELINE_NATS_NAME_PREFIX: PIPELINE_VARS.PIPELINE_NATS_NAME_PREFIX,
  PIPELINE_NATS_SUBJECT_PREFIX: PIPELINE_VARS.PIPELINE_NATS_SUBJECT_PREFIX,
  LOG_LEVEL: oneOf("pino log level", ["trace", "debug", "info", "warn", "error", "fatal"], "info"),
  // GET …/evidence re-reads the stored WORM object at its indexed location (s3:// needs these).
  EVIDENCE_S3_ENDPOINT: WORM_VARS.EVIDENCE_S3_ENDPOINT,
  EVIDENCE_S3_REGION: WORM_VARS.EVIDENCE_S3_REGION,
  ...TELEMETRY_VARS,
} as const;

/** Everything `createGateway` needs to know besides its clients. */
export interface GatewayConfig {
  /** Deployment environment of this gateway (`SEMENTE_ENV`). */
  environment: Environment;
  /** Token-bucket policies: per principal, per tenant, per IP (unauthenticated) and for ops endpoints. */
  rateLimits: { principal: RateLimitPolicy; tenant: RateLimitPolicy; ip: RateLimitPolicy; ops: RateLimitPolicy };
  /** Take the client IP from the first `X-Forwarded-For` hop. @default false */
  trustProxy: boolean;
  /** Idempotency-Key retention per mode (validations use `baseline`). */
  idempotencyTtlSeconds: Record<Mode, number>;
  /** Queue TTL of a run above the cap. @default 300 */
  queueTtlSeconds: number;
  /** Largest accepted body in bytes. @default 1 MiB */
  maxBodyBytes: number;
  /** Worker threads that parse manifests (one leaves a core to the event loop on a small host). @default 1 */
  parseWorkers: number;
  /** A parse running longer is abandoned and its worker replaced. @default 10000 */
  parseTimeoutMs: number;
  /** Path of the FinOps cost model. */
  costModelPath: string;
  /** How `s3://` evidence locations are read back. @default AWS, us-east-1 */
  worm?: WormReadOptions;
}

/** Reads and validates the gateway's environment; throws CONFIG_INVALID naming every bad variable. */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  const vars = loadConfig(GATEWAY_VARS, env);
  const w = vars.GATEWAY_RATE_LIMIT_WINDOW_S;
  const gateway: GatewayConfig = {
    environment: vars.SEMENTE_ENV,
    rateLimits: {
      principal: { name: "principal", quota: vars.GATEWAY_RATE_LIMIT_PRINCIPAL, windowSeconds: w },
      tenant: { name: "tenant", quota: vars.GATEWAY_RATE_LIMIT_TENANT, windowSeconds: w },
      ip: { name: "ip", quota: vars.GATEWAY_RATE_LIMIT_IP, windowSeconds: w },
      ops: { name: "ops", quota: vars.GATEWAY_RATE_LIMIT_OPS, windowSeconds: w },
    },
    trustProxy: vars.GATEWAY_TRUST_PROXY === "true",
    idempotencyTtlSeconds: {
      baseline: vars.GATEWAY_IDEMPOTENCY_TTL_BASELINE_S,
      load: vars.GATEWAY_IDEMPOTENCY_TTL_LOAD_S,
      dr: vars.GATEWAY_IDEMPOTENCY_TTL_DR_S,
    },
    queueTtlSeconds: vars.GATEWAY_QUEUE_TTL_S,
    maxBodyBytes: vars.GATEWAY_MAX_BODY_BYTES,
    parseWorkers: vars.GATEWAY_PARSE_WORKERS,
    parseTimeoutMs: vars.GATEWAY_PARSE_TIMEOUT_MS,
    costModelPath: vars.COST_MODEL_PATH,
    worm: { s3Endpoint: vars.EVIDENCE_S3_ENDPOINT, s3Region: vars.EVIDENCE_S3_REGION },
  };
  return { vars, gateway };
}
