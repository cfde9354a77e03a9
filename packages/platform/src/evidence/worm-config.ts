import { int, oneOf, str } from "../config/index.ts";
import { SementeError } from "@semente/core/errors";
import { Environment } from "@semente/core/manifest";
import { MIN_RETENTION_DAYS, type WormStore } from "./worm-types.ts";
import { createFsWormStore } from "./worm-fs.ts";
import { createS3WormStore } from "./worm-s3.ts";

/**
 * WORM storage settings, shared by the evidence service (which writes reports) and the planner
 * (whose preflight refuses a run when the store is unavailable, before any data write).
 */
export const WORM_VARS = {
  SEMENTE_ENV: oneOf("Deployment environment of this process", Object.values(Environment), "dev"),
  EVIDENCE_WORM_BACKEND: oneOf(
    "WORM storage: embedded filesystem (dev only: refused unless SEMENTE_ENV=dev) or S3 with Object Lock",
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
} as const;

/** The resolved values of {@link WORM_VARS}. */
export interface WormVars {
  SEMENTE_ENV: string;
  EVIDENCE_WORM_BACKEND: "filesystem" | "s3";
  EVIDENCE_WORM_DIR: string;
  EVIDENCE_S3_BUCKET: string;
  EVIDENCE_S3_ENDPOINT: string;
  EVIDENCE_S3_REGION: string;
  EVIDENCE_S3_PREFIX: string;
}

/**
 * Cross-variable rules: the filesystem store is a development convenience (its immutability rests
 * on file modes a root user or the owner can undo), so any deployment but `dev` must use S3 Object
 * Lock; the s3 backend needs a bucket. Throws CONFIG_INVALID.
 */
export function assertWormVars(vars: WormVars): void {
  if (vars.EVIDENCE_WORM_BACKEND === "filesystem" && vars.SEMENTE_ENV !== "dev") {
    throw new SementeError(
      "CONFIG_INVALID",
      "invalid configuration: EVIDENCE_WORM_BACKEND: the filesystem store is for dev only; use s3 (Object Lock)",
      { errors: [{ pointer: "/env/EVIDENCE_WORM_BACKEND", message: "filesystem is refused unless SEMENTE_ENV=dev" }] },
    );
  }
  if (vars.EVIDENCE_WORM_BACKEND === "s3" && vars.EVIDENCE_S3_BUCKET === "") {
    throw new SementeError(
      "CONFIG_INVALID",
      "invalid configuration: EVIDENCE_S3_BUCKET: required with EVIDENCE_WORM_BACKEND=s3",
      { errors: [{ pointer: "/env/EVIDENCE_S3_BUCKET", message: "required with EVIDENCE_WORM_BACKEND=s3" }] },
    );
  }
}

/** The WORM store the configuration names. */
export function wormStoreFromConfig(vars: WormVars): WormStore {
  if (vars.EVIDENCE_WORM_BACKEND === "filesystem") return createFsWormStore({ dir: vars.EVIDENCE_WORM_DIR });
  return createS3WormStore({
    bucket: vars.EVIDENCE_S3_BUCKET,
    prefix: vars.EVIDENCE_S3_PREFIX,
    region: vars.EVIDENCE_S3_REGION,
    ...(vars.EVIDENCE_S3_ENDPOINT === "" ? {} : { endpoint: vars.EVIDENCE_S3_ENDPOINT }),
  });
}
