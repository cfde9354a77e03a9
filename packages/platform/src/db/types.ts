import { ENTITIES, type Entity } from "@semente/core/manifest";
import type postgres from "postgres";

/** A postgres.js client (pool, reserved connection or transaction) as used across Semente. */
export type Sql = postgres.Sql;
/** The client handed to the callback of `withTenant` and `sql.begin`. */
export type TransactionSql = postgres.TransactionSql;

/**
 * Banking tables in FK order (a table only references tables listed before it): the core entity
 * registry's `ENTITIES`, table name = entity name, schema `banking`.
 */
export const BANKING_TABLES: readonly Entity[] = ENTITIES;
export type BankingTable = Entity;

/** Tables outside `banking` that must also be under enforced RLS (R6.1). */
export const RLS_SEED_TABLES = ["checkpoints"] as const;

/** The cluster-wide login roles created by `setupDatabase`. */
export const DbRole = {
  /** Owns schemas and tables; runs migrations. Subject to RLS (tables FORCE it). */
  OWNER: "semente_owner",
  /** Data plane (seeders): inserts banking rows and checkpoints under RLS bound to an admitted run. */
  SEEDER: "semente_seeder",
  /** Control plane (gateway, planner, evidence): control tables; no banking rows. */
  APP: "semente_app",
  /** Read-only verification (planner drift check, `semente verify`): banking and checkpoints under RLS. */
  VERIFIER: "semente_verifier",
} as const;
export type DbRole = (typeof DbRole)[keyof typeof DbRole];

/** The tenant id format shared by every table's `tenant_id`. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** Options of `createSql`. */
export interface CreateSqlOptions {
  /**
   * Pool size.
   * @default 10
   */
  max?: number;
  /**
   * Seconds before an idle connection is closed.
   * @default 30
   */
  idleTimeoutS?: number;
  /**
   * Seconds to wait for a connection.
   * @default 10
   */
  connectTimeoutS?: number;
  /**
   * Shown in `pg_stat_activity.application_name`.
   * @default "semente"
   */
  applicationName?: string;
  /**
   * How `bigint` (int8) columns come back. `"string"` is exact and what postgres.js does by
   * default; `"bigint"` returns JS `bigint`. `numeric` (money) always comes back as a string so
   * cents are never rounded through a float.
   * @default "string"
   */
  bigint?: "string" | "bigint";
}

/** Transaction isolation for `withTenant`. */
export const Isolation = {
  /** The PostgreSQL default. */
  READ_COMMITTED: "read committed",
  REPEATABLE_READ: "repeatable read",
  /** What seeders use for batches (R6.2); callers retry on `isRetryablePgError`. */
  SERIALIZABLE: "serializable",
} as const;
export type Isolation = (typeof Isolation)[keyof typeof Isolation];

/** Options of `withTenant`. */
export interface WithTenantOptions {
  /**
   * Isolation level of the transaction.
   * @default "read committed"
   */
  isolation?: Isolation;
  /** Run the transaction READ ONLY (a run binding is then not recorded in seed.tenant_bindings). @default false */
  readOnly?: boolean;
  /**
   * Bind the transaction to this admitted run (`seed.bind_run_tenant`): the data-plane role's
   * policies accept only a bound tenant, so the seeder must pass its run. The run must be
   * `running` and belong to `tenantId`, else the transaction fails with 42501 before `fn` runs.
   */
  runId?: string;
  /** `SET LOCAL statement_timeout` in ms (baseline ≈30 000, load/DR 60 000–90 000). Unset keeps the role's. */
  statementTimeoutMs?: number;
  /** `SET LOCAL lock_timeout` in ms (baseline ≈5 000, load/DR 10 000–15 000). Unset keeps the role's. */
  lockTimeoutMs?: number;
  /**
   * `SET TRANSACTION SNAPSHOT`: see exactly what the transaction that exported this snapshot
   * (`pg_export_snapshot()`, still open) sees. Needs REPEATABLE READ or SERIALIZABLE.
   */
  snapshot?: string;
}

/** One migration file on disk. */
export interface MigrationFile {
  /** The number prefix (`0005_x.sql` → 5). */
  version: number;
  /** The part after the number, without `.sql` (`0005_x.sql` → `x`). */
  name: string;
  /** File name, e.g. `0005_x.sql`. */
  file: string;
  /** sha256 (hex) of the file with line endings normalised to `\n`. */
  checksum: string;
  /** True when the first line is `-- semente:no-transaction`. */
  transactional: boolean;
  /** File contents. */
  sql: string;
}

/** A row of `seed.schema_migrations`. */
export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
}

/** Applied vs on-disk migrations. */
export interface MigrationStatus {
  /** Files not yet applied, in order. */
  pending: MigrationFile[];
  /** Applied versions whose file changed (checksum or name) since they were applied. */
  drifted: { version: number; file: string; applied: string; onDisk: string }[];
  /** Applied versions with no file on disk (a newer release migrated ahead; not an error). */
  unknown: AppliedMigration[];
  /** Applied migrations, in order. */
  applied: AppliedMigration[];
}

/** Options of `migrate`. */
export interface MigrateOptions {
  /** Folder holding `NNNN_name.sql` files. */
  dir: string;
  /**
   * How long to wait for a concurrent migrator to finish before giving up (UNAVAILABLE).
   * @default 300000
   */
  lockWaitMs?: number;
}

/** What `migrate` did. */
export interface MigrateResult {
  /** Files applied by this call, in order. */
  applied: string[];
  /** Number of files that were already applied. */
  alreadyApplied: number;
}

/** Options of `setupDatabase`. */
export interface SetupDatabaseOptions {
  /** Superuser URL (ADMIN_DATABASE_URL); any database of the cluster, usually `postgres`. */
  adminUrl: string;
  /** Database to create, owned by `semente_owner`. */
  database: string;
  /** Login passwords to set, per role (unset or empty: leave the role's password as it is). */
  passwords?: Partial<Record<DbRole, string>>;
}

/** Options of `runPreflight` / `assertPreflight`. */
export interface PreflightOptions {
  /** Folder of migration files the database must be up to date with. */
  migrationsDir: string;
}

/** The named checks of the preflight, in the order they run. */
export const PreflightCheck = {
  /** Current role is neither superuser nor BYPASSRLS. */
  ROLE: "role",
  /** Every banking table and seed.checkpoints has RLS enabled and forced. */
  RLS: "rls",
  /** No pending migration and no checksum drift. */
  MIGRATIONS: "migrations",
  /**
   * Every row-level policy the data-plane role is subject to checks the run binding
   * (`seed.bound_tenant()`), never a free-form `app.tenant_id`.
   */
  TENANT_BINDING: "tenant_binding",
} as const;
export type PreflightCheck = (typeof PreflightCheck)[keyof typeof PreflightCheck];

/** Outcome of one preflight check (for evidence reports). */
export interface PreflightCheckResult {
  check: PreflightCheck;
  ok: boolean;
  /** Problem code when the check failed. */
  code?: "PRIVILEGED_ROLE" | "RLS_NOT_ENFORCED" | "PENDING_MIGRATIONS" | "MIGRATION_DRIFT";
  /** Human-readable summary; names tables or migration files, never data. */
  detail: string;
}

/** Structured preflight outcome. */
export interface PreflightResult {
  ok: boolean;
  /** The role the checks ran as (`current_user`). */
  role: string;
  checks: PreflightCheckResult[];
}

/** Outcome recorded in `seed.audit_log.outcome`. */
export const AuditOutcome = {
  SUCCESS: "success",
  /** Refused before any write (fail-closed). */
  REFUSED: "refused",
  FAILURE: "failure",
} as const;
export type AuditOutcome = (typeof AuditOutcome)[keyof typeof AuditOutcome];

/** One audit record. Never put PII or secrets in any field. */
export interface AuditEntry {
  /** Principal or service name (`gateway`, `seeder`, a JWT subject). */
  actor: string;
  /** Dotted lowercase verb, e.g. `run.create`, `preflight.refuse`. */
  action: string;
  outcome: AuditOutcome;
  tenantId?: string;
  environment?: string;
  runId?: string;
  /** Problem code when refused or failed. */
  reason?: string;
  details?: Record<string, unknown>;
}
