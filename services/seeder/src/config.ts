import { TELEMETRY_VARS } from "@semente/platform/telemetry";
import { bool, COMMON_VARS, type ConfigOf, int, loadConfig, NATS_VARS, oneOf, str } from "@semente/platform/config";
import { SementeError } from "@semente/core/errors";
import {
  DEFAULT_WRITE_PATH,
  KEY_PROVIDER_VARS,
  PIPELINE_MODES,
  PIPELINE_VARS,
  type PipelineMode,
  WritePath,
} from "@semente/platform/pipeline";

/** Environment variables of the seeder (the README's configuration table lists them). */
export const SEEDER_VARS = {
  SEMENTE_SEEDER_DATABASE_URL: { ...COMMON_VARS.SEMENTE_SEEDER_DATABASE_URL, aliases: ["DATABASE_URL"] },
  ...NATS_VARS,
  HEALTH_PORT: int("Port of /healthz and /readyz", "8082", 0, 65535),
  SEEDER_MODES: str("Modes whose batch consumers this process pulls from (comma-separated)", "baseline,load,dr"),
  SEEDER_MAX_MESSAGES: int(
    "Batches pulled per request and handled at once (2 overlaps generation with a commit)",
    "1",
    1,
    16,
  ),
  SEEDER_WRITE_PATH: oneOf(
    "Bulk write path: unnest typed arrays or COPY into a temp staging table",
    [WritePath.unnest, WritePath.copy] as const,
    DEFAULT_WRITE_PATH,
  ),
  SEEDER_COPY_TIMEOUT_MS: int("COPY path: time a COPY may take before its connection is discarded", "30000", 100),
  SEEDER_HEARTBEAT_MS: int("Period of `working()` on the batch in hand (must be below the ack wait)", "5000", 100),
  SEEDER_DB_POOL: int("PostgreSQL connections of this process", "4", 2, 64),
  SEEDER_GC_RSS_MIB: int(
    "Resident size (MiB) past which the seeder runs a full garbage collection between batches; 0 = never",
    "192",
    0,
    65_536,
  ),
  SEEDER_PURGE_CHUNK_ROWS: int(
    "Rows a purge deletes per transaction (one seed.purge_progress row each)",
    "20000",
    1,
    1_000_000,
  ),
  SEEDER_FAULT_INJECTION: bool("Test-only: honour SEEDER_FAULT_ENTITY (never set in real deployments)", "false"),
  SEEDER_FAULT_ENTITY: str("Test-only `<entity>:<batchIndex>` whose batch fails as poison", ""),
  LOG_LEVEL: oneOf("Log level", ["trace", "debug", "info", "warn", "error", "fatal"], "info"),
  ...PIPELINE_VARS,
  ...KEY_PROVIDER_VARS,
  ...TELEMETRY_VARS,
} as const;

/** Values of {@link SEEDER_VARS}. */
export type SeederVars = ConfigOf<typeof SEEDER_VARS>;

/** A batch the fault hook turns into poison. */
export interface FaultTarget {
  entity: string;
  batchIndex: number;
}

/** Everything the seeder derives from its variables. */
export interface SeederConfig {
  vars: SeederVars;
  modes: PipelineMode[];
  /** Only when SEEDER_FAULT_INJECTION is on and SEEDER_FAULT_ENTITY is set. */
  fault: FaultTarget | undefined;
}

function parseModes(raw: string): PipelineMode[] {
  const modes = raw
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
  const known: readonly string[] = PIPELINE_MODES;
  const bad = modes.filter((m) => !known.includes(m));
  if (modes.length === 0 || bad.length > 0) {
    throw new SementeError("CONFIG_INVALID", `SEEDER_MODES: expected some of ${PIPELINE_MODES.join(", ")}`);
  }
  return [...new Set(modes)] as PipelineMode[];
}

/** Parses `<entity>:<batchIndex>`; only honoured behind SEEDER_FAULT_INJECTION. */
export function parseFault(enabled: boolean, raw: string): FaultTarget | undefined {
  if (!enabled || raw === "") return undefined;
  const m = /^([a-z][a-z0-9_]*):(\d+)$/.exec(raw);
  if (m === null) throw new SementeError("CONFIG_INVALID", "SEEDER_FAULT_ENTITY: expected <entity>:<batchIndex>");
  return { entity: m[1] as string, batchIndex: Number(m[2]) };
}

/** Reads and validates the seeder's environment; throws CONFIG_INVALID naming every bad variable. */
export function loadSeederConfig(env: Record<string, string | undefined> = process.env): SeederConfig {
  const vars = loadConfig(SEEDER_VARS, env);
  if (vars.SEEDER_HEARTBEAT_MS >= vars.PIPELINE_ACK_WAIT_MS) {
    throw new SementeError("CONFIG_INVALID", "SEEDER_HEARTBEAT_MS must be below PIPELINE_ACK_WAIT_MS");
  }
  return {
    vars,
    modes: parseModes(vars.SEEDER_MODES),
    fault: parseFault(vars.SEEDER_FAULT_INJECTION, vars.SEEDER_FAULT_ENTITY),
  };
}
