import { setTimeout as sleep } from "node:timers/promises";
import { SementeError } from "@semente/core/errors";
import { pgErrorCode } from "./client.ts";
import { readMigrationFiles, splitStatements } from "./migration-files.ts";
import type { AppliedMigration, MigrateOptions, MigrateResult, MigrationFile, MigrationStatus, Sql } from "./types.ts";

/*
 * Our own runner rather than an npm tool: we need sha256 checksums of applied files (drift is a
 * fail-closed preflight condition), pending detection from a read-only role for the preflight,
 * and per-file opt-out of the transaction for CREATE INDEX CONCURRENTLY — which also means
 * splitting such files into single statements, since a multi-statement query is one implicit
 * transaction in PostgreSQL.
 */

/** Two-int advisory lock key ("semente", "migrate"); advisory locks are per database. */
const LOCK_KEY = [0x5e3e17e, 1] as const;
const LOCK_POLL_MS = 100;

const BOOTSTRAP = `
CREATE SCHEMA IF NOT EXISTS seed;
CREATE TABLE IF NOT EXISTS seed.schema_migrations (
  version     integer PRIMARY KEY CHECK (version BETWEEN 1 AND 9999),
  name        text NOT NULL,
  checksum    text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  applied_at  timestamptz NOT NULL DEFAULT now()
);`;

async function readApplied(sql: Sql): Promise<AppliedMigration[]> {
  const [{ present } = { present: false }] = await sql<{ present: boolean }[]>`
    select to_regclass('seed.schema_migrations') is not null as present`;
  if (!present) return [];
  const rows = await sql<{ version: number; name: string; checksum: string; applied_at: Date }[]>`
    select version, name, checksum, applied_at from seed.schema_migrations order by version`;
  return rows.map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, appliedAt: r.applied_at }));
}

function compare(files: MigrationFile[], applied: AppliedMigration[]): MigrationStatus {
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  const onDisk = new Set(files.map((f) => f.version));
  const status: MigrationStatus = { pending: [], drifted: [], unknown: [], applied };
  for (const f of files) {
    const a = byVersion.get(f.version);
    if (a === undefined) status.pending.push(f);
    else if (a.checksum !== f.checksum || a.name !== f.name) {
      status.drifted.push({ version: f.version, file: f.file, applied: a.checksum, onDisk: f.checksum });
    }
  }
  status.unknown = applied.filter((a) => !onDisk.has(a.version));
  return status;
}

/** The MIGRATION_DRIFT error naming the changed files. */
export function driftError(status: MigrationStatus): SementeError {
  const files = status.drifted.map((d) => d.file);
  return new SementeError("MIGRATION_DRIFT", `applied migrations changed on disk: ${files.join(", ")}`, {
    extensions: { migrations: files },
  });
}

/** Compares the files of `dir` with `seed.schema_migrations`; read-only, any role with SELECT. */
export async function migrationStatus(sql: Sql, dir: string): Promise<MigrationStatus> {
  return compare(readMigrationFiles(dir), await readApplied(sql));
}

/** Files of `dir` not yet applied, in order. */
export async function pendingMigrations(sql: Sql, dir: string): Promise<MigrationFile[]> {
  return (await migrationStatus(sql, dir)).pending;
}

async function acquireLock(sql: Sql, waitMs: number): Promise<void> {
  // Polling pg_try_advisory_lock instead of blocking in pg_advisory_lock: a blocked statement
  // holds a snapshot, and CREATE INDEX CONCURRENTLY in the other migrator would wait for it
  // while it waits for the lock — a deadlock.
  const deadline = performance.now() + waitMs;
  for (;;) {
    const [row] = await sql<
      { locked: boolean }[]
    >`select pg_try_advisory_lock(${LOCK_KEY[0]}, ${LOCK_KEY[1]}) as locked`;
    if (row?.locked) return;
    if (performance.now() >= deadline) {
      throw new SementeError("UNAVAILABLE", "another migrator holds the migration lock", { retryable: true });
    }
    await sleep(LOCK_POLL_MS);
  }
}

async function applyOne(sql: Sql, f: MigrationFile): Promise<void> {
  const record = (tx: Sql) =>
    tx`insert into seed.schema_migrations (version, name, checksum) values (${f.version}, ${f.name}, ${f.checksum})`;
  try {
    if (f.transactional) {
      // Explicit BEGIN/COMMIT: a reserved postgres.js connection has no sql.begin().
      await sql.unsafe("begin");
      try {
        await sql.unsafe(f.sql);
        await record(sql);
        await sql.unsafe("commit");
      } catch (error) {
        await sql.unsafe("rollback");
        throw error;
      }
    } else {
      for (const statement of splitStatements(f.sql)) await sql.unsafe(statement);
      await record(sql);
    }
  } catch (cause) {
    const code = pgErrorCode(cause);
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new SementeError("INTERNAL", `migration ${f.file} failed${code ? ` (${code})` : ""}: ${reason}`, {
      cause,
      extensions: { migration: f.file },
    });
  }
}

/**
 * Applies the pending files of `opts.dir` in order, each in its own transaction unless its first
 * line is `-- semente:no-transaction`. Concurrent callers are serialised by an advisory lock, so
 * a file is never applied twice; re-running applies nothing. An applied file whose checksum
 * changed aborts before anything runs (MIGRATION_DRIFT). Run as `semente_owner`.
 */
export async function migrate(sql: Sql, opts: MigrateOptions): Promise<MigrateResult> {
  const files = readMigrationFiles(opts.dir);
  const conn = await sql.reserve();
  try {
    await acquireLock(conn, opts.lockWaitMs ?? 300_000);
    try {
      await conn.unsafe(BOOTSTRAP);
      const status = compare(files, await readApplied(conn));
      if (status.drifted.length > 0) throw driftError(status);
      for (const f of status.pending) await applyOne(conn, f);
      return { applied: status.pending.map((f) => f.file), alreadyApplied: files.length - status.pending.length };
    } finally {
      await conn`select pg_advisory_unlock(${LOCK_KEY[0]}, ${LOCK_KEY[1]})`;
    }
  } finally {
    conn.release();
  }
}
