import { int, str, url } from "./env.ts";
import { NATS_VARS } from "./nats.ts";

/** Variables every service and the CLI understand. */
export const COMMON_VARS = {
  DATABASE_URL: url(
    "PostgreSQL URL of the least-privilege runtime role",
    "postgres://semente_seeder@127.0.0.1:5432/semente",
    ["postgres:", "postgresql:"],
  ),
  APP_DATABASE_URL: url(
    "PostgreSQL URL of the control-plane role (gateway, planner, evidence)",
    "postgres://semente_app@127.0.0.1:5432/semente",
    ["postgres:", "postgresql:"],
  ),
  VERIFIER_DATABASE_URL: url(
    "PostgreSQL URL of the read-only verification role (banking rows and checkpoints under RLS)",
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
  SEMENTE_ENV_FILE: str("Optional .env file with overrides (process env wins)", ".env"),
} as const;
