import { TELEMETRY_VARS } from "@semente/platform/telemetry";
import { COMMON_VARS, int, loadConfig, NATS_VARS, oneOf, str } from "@semente/platform/config";
import { MIGRATIONS_DIR } from "@semente/platform/db";
import { assertWormVars, WORM_VARS } from "@semente/platform/evidence";
import { DEFAULT_COST_MODEL_PATH } from "@semente/platform/config";
import { KEY_PROVIDER_VARS, PIPELINE_VARS } from "@semente/platform/pipeline";
import { ReleaseBy } from "./release.ts";

/** Environment variables of the planner (the README's configuration table lists them). */
export const PLANNER_VARS = {
  SEMENTE_APP_DATABASE_URL: { ...COMMON_VARS.SEMENTE_APP_DATABASE_URL, aliases: ["DATABASE_URL"] },
  // The planner never writes as the seeder role: its preflight checks RLS and migrations as it.
  SEMENTE_SEEDER_DATABASE_URL: { ...COMMON_VARS.SEMENTE_SEEDER_DATABASE_URL, aliases: ["PREFLIGHT_DATABASE_URL"] },
  // The drift check reads banking rows as the verifier.
  SEMENTE_VERIFIER_DATABASE_URL: { ...COMMON_VARS.SEMENTE_VERIFIER_DATABASE_URL, aliases: ["VERIFIER_DATABASE_URL"] },
  ...NATS_VARS,
  HEALTH_PORT: int("Port of /healthz and /readyz", "8081", 0, 65535),
  PLANNER_PARALLELISM: int("Batches in flight per load/DR run (baseline is always 1)", "3", 2, 4),
  PLANNER_RELEASE: oneOf(
    "Load/DR release rule: whole FK levels, or per entity as soon as its own parents are committed",
    [ReleaseBy.level, ReleaseBy.entity] as const,
    ReleaseBy.level,
  ),
  PLANNER_VERIFY_LANES: int(
    "Entities a DR drill verifies at once, each on its own verifier connection, in one snapshot",
    "2",
    1,
    8,
  ),
  PLANNER_RECONCILE_MS: int("Period of the reconciliation with seed.checkpoints and seed.runs", "500", 50, 60_000),
  PLANNER_PURGE_STALL_MS: int(
    "A purge phase with no chunk committed for this long is published again",
    "60000",
    1_000,
    3_600_000,
  ),
  SEMENTE_GLOBAL_SLOTS: COMMON_VARS.SEMENTE_GLOBAL_SLOTS,
  PLANNER_BROKER_LOSS_MS: int(
    "How long NATS may stay unreachable before the runs in flight fail with BROKER_LOST",
    "60000",
    1_000,
    3_600_000,
  ),
  PLANNER_LEASE_TTL_S: int("Lease TTL the planner renews the leases of its runs with", "60", 5, 3600),
  CONTROL_NATS_NAME_PREFIX: COMMON_VARS.CONTROL_NATS_NAME_PREFIX,
  CONTROL_NATS_SUBJECT_PREFIX: COMMON_VARS.CONTROL_NATS_SUBJECT_PREFIX,
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
