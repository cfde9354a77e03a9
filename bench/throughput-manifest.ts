import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DbRole } from "../packages/platform/src/db/index.ts";
import {
  type Manifest,
  parseManifest,
  type VolumetryEntity,
  VOLUMETRY_ENTITIES,
} from "../packages/core/src/manifest/index.ts";

/** Options of {@link benchManifest}. */
export interface BenchManifestOptions {
  /** Every count of the perf profile is divided by this (16 gives ≥ 1,000,000 rows). */
  scale: number;
  /** Rows per batch (the manifest schema allows at most 10,000). */
  batchSize: number;
}

/**
 * The perf load profile (banco-alfa) with every count divided by `scale` (caps follow), a window
 * covering the whole day so the bench runs at any hour, key_version 1. A throughput bench
 * measures how fast the pipeline can go: the release pacing is lifted far above any rate this
 * machine reaches (the profile's 20,000 rows/s target, 40,000 cap, paced one batch at a time) with
 * the cap at twice the target, so the pacing plan keeps the planner's full parallelism; the SLO
 * gate gets its widest thresholds (a machine shared with other test suites makes batches slow,
 * and the gate would abort the run).
 */
export function benchManifest(options: BenchManifestOptions): Manifest {
  const text = readFileSync(join(import.meta.dir, "../configs/seed_profiles/perf/banco-alfa.yaml"), "utf8");
  const base = parseManifest(text).manifest;
  const volumetry = structuredClone(base.volumetry);
  for (const entity of VOLUMETRY_ENTITIES as readonly VolumetryEntity[]) {
    const v = volumetry[entity];
    v.count = entity === "account_categories" ? v.count : Math.max(1, Math.round(v.count / options.scale));
    v.cap = Math.max(v.cap, v.count);
  }
  return {
    ...base,
    volumetry,
    batch_size: options.batchSize,
    key_version: 1,
    window: { start_utc: "00:00", end_utc: "23:59" },
    rate_limit: { ...base.rate_limit, target_rows_per_second: 500_000, cap_rows_per_second: 1_000_000 },
    // 3,600,000 ms: the schema's largest batch-duration threshold.
    slo: { p95_batch_ms: 3_600_000, p99_batch_ms: 3_600_000, min_rows_per_second: 0, max_error_rate: 1 },
    metadata: { ...base.metadata, version: "1.0.0-bench" },
  };
}

/** A PostgreSQL URL for `user` on `database`, from a base URL (trust auth: no password). */
export function urlFor(base: string, user: string, database: string): string {
  const u = new URL(base);
  u.username = user;
  u.password = "";
  u.pathname = `/${database}`;
  return u.toString();
}

/** URLs of the three Semente roles and of the admin URL's superuser on `database`. */
export function roleUrls(
  admin: string,
  database: string,
): Record<"owner" | "seeder" | "app" | "verifier" | "admin", string> {
  return {
    owner: urlFor(admin, DbRole.OWNER, database),
    seeder: urlFor(admin, DbRole.SEEDER, database),
    app: urlFor(admin, DbRole.APP, database),
    verifier: urlFor(admin, DbRole.VERIFIER, database),
    admin: urlFor(admin, new URL(admin).username || "postgres", database),
  };
}
