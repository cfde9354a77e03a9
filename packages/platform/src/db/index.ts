export { appendAudit } from "./audit.ts";
export { createSql, isRetryablePgError, pgErrorCode, withTenant } from "./client.ts";
export { migrate, migrationStatus, pendingMigrations } from "./migrate.ts";
export { MIGRATIONS_DIR, readMigrationFiles, splitStatements } from "./migration-files.ts";
export { assertPreflight, runPreflight } from "./preflight.ts";
export { recordRlsChecks, RLS_REQUIRED_TABLES } from "./rls-record.ts";
export type { RlsRecord, RlsTableRecord } from "./rls-record.ts";
export { dropDatabase, passwordsFromUrls, setupDatabase } from "./setup.ts";
export { bootstrapDatabase, setRolePasswords } from "./bootstrap.ts";
export type { BootstrapDatabaseOptions, BootstrapDatabaseResult, RolePasswords } from "./bootstrap.ts";
export {
  AuditOutcome,
  BANKING_TABLES,
  DbRole,
  Isolation,
  PreflightCheck,
  RLS_SEED_TABLES,
  TENANT_ID_PATTERN,
} from "./types.ts";
export type {
  AppliedMigration,
  AuditEntry,
  BankingTable,
  CreateSqlOptions,
  MigrateOptions,
  MigrateResult,
  MigrationFile,
  MigrationStatus,
  PreflightCheckResult,
  PreflightOptions,
  PreflightResult,
  SetupDatabaseOptions,
  Sql,
  TransactionSql,
  WithTenantOptions,
} from "./types.ts";
