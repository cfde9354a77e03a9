import { TELEMETRY_VARS } from "@semente/platform/telemetry";
import { COMMON_VARS, int, loadConfig, NATS_VARS, oneOf, str } from "@semente/platform/config";
import { MIGRATIONS_DIR } from "@semente/platform/db";
import { assertWormVars, WORM_VARS } from "@semente/platform/evidence";
import { DEFAULT_COST_MODEL_PATH } from "@semente/platform/config";
import { KEY_PROVIDER_VARS, PIPELINE_VARS } from "@semente/platform/pipeline";
import { ReleaseBy } from "./release.ts";

/** Environment variables of the planner (the README's configuration table lists them). */
export const PLANNER_VARS = {
  DATABASE_URL: { ...COMMON_VARS.APP_DATABASE_URL, doc: "Control-plane PostgreSQL URL (semente_app)" },
  PREFLIGHT_DATABASE_URL: {
    ...COMMON_VARS.DATABASE_URL,
    doc: "URL of the seeders' data-plane role; the preflight checks RLS and migrations as that role",
  },
  VERIFIER_DATABASE_URL: {
    ...COMMON_VARS.VERIFIER_DATABASE_URL,
    doc: "URL of the read-only verification role (semente_verifier); the drift check reads banking rows as it",
  },
  ...NATS_VARS,
  HEALTH_PORT: int("Port of /healthz and /readyz", "8081", 0, 65535),
  PLANNER_PARALLELISM: int("Batches in flight per load/DR run (baseline is always 1)", "3", 2, 4),
  PLANNER_RELEASE: oneOf(
    "Load/DR release rule: whole FK levels, or per entity as soon as its own parents are committed",
    [ReleaseBy.level, ReleaseBy.entity] as const,
    ReleaseBy.level,
  ),
  PLANNER_RECONCILE_MS: int("Period of the reconciliation with seed.checkpoints and seed.runs", "500", 50, 60_000),
  PLANNER_GLOBAL_SLOTS: int("Global slots per environment (as the gateway's GATEWAY_GLOBAL_SLOTS)", "2", 1, 100),
  PLANNER_BROKER_LOSS_MS: int(
    "How long NATS may stay unreachable before the runs in flight fail with BROKER_LOST",
    "60000",
    1_000,
    3_600_000,
  ),
  PLANNER_LEASE_TTL_S: int("Lease TTL the planner renews the leases of its runs with", "60", 5, 3600),
  GATEWAY_NATS_NAME_PREFIX: str("Prefix of the admission buckets and run-events stream (as the gateway's)", ""),
  GATEWAY_NATS_SUBJECT_PREFIX: str("Prefix of the run-event subjects (as the gateway's)", ""),
  MIGRATIONS_DIR: str("Migration files the database must be up to date with", MIGRATIONS_DIR),
  COST_MODEL_PATH: str("FinOps cost model used for the budget estimate", DEFAULT_COST_MODEL_PATH),
  LOG_LEVEL: oneOf("Log level", ["trace", "debug", "info", "warn", "error", "fatal"], "info"),
  ...PIPELINE_VARS,
  ...KEY_PROVIDER_VARS,
  ...WORM_VARS,
  ...TELEMETRY_VARS,
} as const;

export type PlannerVars = ReturnType<typeof loadPlannerConfig>;

/** Reads and validates the planner's environment; throws CONFIG_INVALID naming every bad variable. */
export function loadPlannerConfig(env: Record<string, string | undefined> = process.env) {
  const vars = loadConfig(PLANNER_VARS, env);
  assertWormVars(vars);
  return vars;
}
