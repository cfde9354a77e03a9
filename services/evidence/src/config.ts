import { SementeError } from "@semente/shared/errors";
import { COMMON_VARS, int, loadConfig, oneOf, str, url } from "@semente/shared/config";
import { createFsWormStore, createS3WormStore, MIN_RETENTION_DAYS, type WormStore } from "@semente/shared/evidence";
import { DEFAULT_COST_MODEL_PATH, Environment } from "@semente/shared/manifest";
import { KEY_PROVIDER_VARS } from "@semente/shared/pipeline";

/** Environment variables of the evidence service (the README's configuration table lists them). */
export const EVIDENCE_VARS = {
  DATABASE_URL: url(
    "PostgreSQL URL of the control-plane role (semente_app)",
    "postgres://semente_app@127.0.0.1:5432/semente",
    ["postgres:", "postgresql:"],
  ),
  NATS_URL: COMMON_VARS.NATS_URL,
  SEMENTE_ENV: oneOf("Deployment environment of this process", Object.values(Environment), "dev"),
  EVIDENCE_HEALTH_PORT: int("HTTP port of /healthz and /readyz", "8083", 0, 65535),
  EVIDENCE_WORM_BACKEND: oneOf(
    "WORM storage: embedded filesystem (dev) or S3 with Object Lock",
    ["filesystem", "s3"] as const,
    "filesystem",
  ),
  EVIDENCE_WORM_DIR: str("Folder of the filesystem WORM store", ".semente/worm"),
  EVIDENCE_S3_BUCKET: str("S3 bucket with Object Lock enabled (s3 backend)", ""),
  EVIDENCE_S3_ENDPOINT: str("S3-compatible endpoint URL; empty for AWS (credentials from the AWS_* chain)", ""),
  EVIDENCE_S3_REGION: str("S3 region", "us-east-1"),
  EVIDENCE_S3_PREFIX: str("Key prefix inside the bucket", "evidence/"),
  EVIDENCE_RETENTION_DAYS: int(
    "WORM retention of each report in days (never below 365)",
    String(MIN_RETENTION_DAYS),
    MIN_RETENTION_DAYS,
    36_500,
  ),
  EVIDENCE_DURABLE: str("Durable consumer name on the run events stream", "evidence"),
  EVIDENCE_NATS_NAME_PREFIX: str("Prefix of the run-events stream name (isolates test stacks)", ""),
  EVIDENCE_NATS_SUBJECT_PREFIX: str("Prefix of run-event subjects, before `seed.run.` (isolates test stacks)", ""),
  COST_MODEL_PATH: str("FinOps cost model used for estimated vs measured cost", DEFAULT_COST_MODEL_PATH),
  LOG_LEVEL: oneOf("pino log level", ["trace", "debug", "info", "warn", "error", "fatal"], "info"),
  ...KEY_PROVIDER_VARS,
} as const;

export type EvidenceVars = ReturnType<typeof loadEvidenceConfig>;

/** Reads and validates the evidence service's environment; throws CONFIG_INVALID naming every bad variable. */
export function loadEvidenceConfig(env: Record<string, string | undefined> = process.env) {
  const vars = loadConfig(EVIDENCE_VARS, env);
  if (vars.EVIDENCE_WORM_BACKEND === "s3" && vars.EVIDENCE_S3_BUCKET === "") {
    throw new SementeError(
      "CONFIG_INVALID",
      "invalid configuration: EVIDENCE_S3_BUCKET: required with EVIDENCE_WORM_BACKEND=s3",
      {
        errors: [{ pointer: "/env/EVIDENCE_S3_BUCKET", message: "required with EVIDENCE_WORM_BACKEND=s3" }],
      },
    );
  }
  return vars;
}

/** The WORM store the configuration names. */
export function wormStoreFromConfig(vars: EvidenceVars): WormStore {
  if (vars.EVIDENCE_WORM_BACKEND === "filesystem") return createFsWormStore({ dir: vars.EVIDENCE_WORM_DIR });
  return createS3WormStore({
    bucket: vars.EVIDENCE_S3_BUCKET,
    prefix: vars.EVIDENCE_S3_PREFIX,
    region: vars.EVIDENCE_S3_REGION,
    ...(vars.EVIDENCE_S3_ENDPOINT === "" ? {} : { endpoint: vars.EVIDENCE_S3_ENDPOINT }),
  });
}
