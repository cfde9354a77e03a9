import { int, str, url } from "./env.ts";
import { NATS_VARS } from "./nats.ts";

/** Variables every service and the CLI understand. */
export const COMMON_VARS = {
  // One name per database role (`DATABASE_URL` used to mean a different role in each service).
  // A service that reads one adds its former name as a deprecated alias (README, Compatibility).
  SEMENTE_APP_DATABASE_URL: url(
    "PostgreSQL URL of the control-plane role semente_app (control tables, no banking rows)",
    "postgres://semente_app@127.0.0.1:5432/semente",
    ["postgres:", "postgresql:"],
  ),
  SEMENTE_SEEDER_DATABASE_URL: url(
    "PostgreSQL URL of the data-plane role semente_seeder (banking rows and checkpoints under RLS)",
    "postgres://semente_seeder@127.0.0.1:5432/semente",
    ["postgres:", "postgresql:"],
  ),
  SEMENTE_VERIFIER_DATABASE_URL: url(
    "PostgreSQL URL of the read-only verification role semente_verifier (banking rows and checkpoints under RLS)",
    "postgres://semente_verifier@127.0.0.1:5432/semente",
    ["postgres:", "postgresql:"],
  ),
  MIGRATION_DATABASE_URL: url(
    "PostgreSQL URL of the migration owner role (DDL only)",
    "postgres://semente_owner@127.0.0.1:5432/semente",
    ["postgres:", "postgresql:"],
  ),
  ADMIN_DATABASE_URL: url(
    "PostgreSQL URL of a superuser, used only by `semente db setup` to create roles and databases",
    "postgres://postgres@127.0.0.1:5432/postgres",
    ["postgres:", "postgresql:"],
  ),
  NATS_URL: NATS_VARS.NATS_URL,
  GATEWAY_PORT: int("HTTP port of the gateway", "8080", 0, 65535),
  GATEWAY_URL: url("Base URL the CLI uses to reach the gateway", "http://127.0.0.1:8080", ["http:", "https:"]),
  SEMENTE_GLOBAL_SLOTS: {
    ...int("Concurrent admitted runs per environment (global slots), read by gateway and planner", "2", 1, 100),
    aliases: ["GATEWAY_GLOBAL_SLOTS", "PLANNER_GLOBAL_SLOTS"],
  },
  CONTROL_NATS_NAME_PREFIX: {
    ...str("Prefix of the admission KV buckets and run-events stream names (isolates test stacks)", ""),
    aliases: ["GATEWAY_NATS_NAME_PREFIX"],
  },
  CONTROL_NATS_SUBJECT_PREFIX: {
    ...str("Prefix of run-event subjects, before `seed.run.` (isolates test stacks)", ""),
    aliases: ["GATEWAY_NATS_SUBJECT_PREFIX"],
  },
  SEMENTE_ENV_FILE: str("Optional .env file with overrides (process env wins)", ".env"),
} as const;
