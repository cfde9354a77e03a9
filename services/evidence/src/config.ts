import { TELEMETRY_VARS } from "@semente/platform/telemetry";
import { COMMON_VARS, int, loadConfig, NATS_VARS, oneOf, str } from "@semente/platform/config";
import { assertWormVars, WORM_VARS, wormStoreFromConfig } from "@semente/platform/evidence";
import { DEFAULT_COST_MODEL_PATH } from "@semente/platform/config";
import { KEY_PROVIDER_VARS } from "@semente/platform/pipeline";

/** Environment variables of the evidence service (the README's configuration table lists them). */
export const EVIDENCE_VARS = {
  SEMENTE_APP_DATABASE_URL: { ...COMMON_VARS.SEMENTE_APP_DATABASE_URL, aliases: ["DATABASE_URL"] },
  ...NATS_VARS,
  EVIDENCE_HEALTH_PORT: int("HTTP port of /healthz and /readyz", "8083", 0, 65535),
  ...WORM_VARS,
  EVIDENCE_DURABLE: str("Durable consumer name on the run events stream", "evidence"),
  CONTROL_NATS_NAME_PREFIX: { ...COMMON_VARS.CONTROL_NATS_NAME_PREFIX, aliases: ["EVIDENCE_NATS_NAME_PREFIX"] },
  CONTROL_NATS_SUBJECT_PREFIX: {
    ...COMMON_VARS.CONTROL_NATS_SUBJECT_PREFIX,
    aliases: ["EVIDENCE_NATS_SUBJECT_PREFIX"],
  },
  COST_MODEL_PATH: str("FinOps cost model used for estimated vs measured cost", DEFAULT_COST_MODEL_PATH),
  LOG_LEVEL: oneOf("pino log level", ["trace", "debug", "info", "warn", "error", "fatal"], "info"),
  ...KEY_PROVIDER_VARS,
  ...TELEMETRY_VARS,
} as const;

export type EvidenceVars = ReturnType<typeof loadEvidenceConfig>;

/** Reads and validates the evidence service's environment; throws CONFIG_INVALID naming every bad variable. */
export function loadEvidenceConfig(env: Record<string, string | undefined> = process.env) {
  const vars = loadConfig(EVIDENCE_VARS, env);
  assertWormVars(vars);
  return vars;
}

export { wormStoreFromConfig };
