import postgres from "postgres";
import { SementeError } from "@semente/core/errors";
import type { CreateSqlOptions, Sql, TransactionSql, WithTenantOptions } from "./types.ts";
import { Isolation, TENANT_ID_PATTERN } from "./types.ts";

/** Creates a postgres.js pool with Semente's defaults (notices silenced, exact bigint/numeric). */
export function createSql(url: string, opts: CreateSqlOptions = {}): Sql {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    idle_timeout: opts.idleTimeoutS ?? 30,
    connect_timeout: opts.connectTimeoutS ?? 10,
    connection: { application_name: opts.applicationName ?? "semente" },
    // Server notices (e.g. "relation already exists, skipping") are not errors nor logs of ours.
    onnotice: () => undefined,
    ...(opts.bigint === "bigint" ? { types: { bigint: postgres.BigInt } } : {}),
  });
  return sql as unknown as Sql;
}

const ISOLATIONS = new Set<string>(Object.values(Isolation));

/** What `pg_export_snapshot()` returns (e.g. `00000003-0000001B-1`): the only text spliced into SET TRANSACTION SNAPSHOT. */
const SNAPSHOT_ID = /^[0-9A-F]+-[0-9A-F]+-[0-9]+$/i;

function assertTimeout(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new SementeError("INTERNAL", `${name} must be a non-negative integer of milliseconds`);
  }
}

/**
 * Runs `fn` in one transaction scoped to `tenantId`: the context and the timeouts are set
 * transaction-locally (`set_config(..., true)`), so a pooled connection never leaks a tenant into
 * the next caller. Without `runId` it sets the free-form `app.tenant_id` that the read-only
 * policies of the control-plane and verifier roles check. With `runId` it binds the transaction to
 * that admitted run through `seed.bind_run_tenant` (the only context the data-plane role's policies
 * accept) and checks the run belongs to `tenantId`.
 */
export async function withTenant<T>(
  sql: Sql,
  tenantId: string,
  fn: (tx: TransactionSql) => Promise<T>,
  opts: WithTenantOptions = {},
): Promise<T> {
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    throw new SementeError("VALIDATION_FAILED", "tenant id does not match ^[a-z0-9][a-z0-9-]{1,62}$");
  }
  const isolation = opts.isolation ?? Isolation.READ_COMMITTED;
  if (!ISOLATIONS.has(isolation)) throw new SementeError("INTERNAL", `unknown isolation level ${isolation}`);
  assertTimeout("statementTimeoutMs", opts.statementTimeoutMs);
  assertTimeout("lockTimeoutMs", opts.lockTimeoutMs);
  const mode = `isolation level ${isolation}${opts.readOnly ? " read only" : ""}`;
  if (opts.snapshot !== undefined && !SNAPSHOT_ID.test(opts.snapshot)) {
    throw new SementeError("INTERNAL", "not a snapshot id of pg_export_snapshot()");
  }
  const result = await sql.begin(mode, async (tx) => {
    // First statement of the transaction, as PostgreSQL requires.
    if (opts.snapshot !== undefined) await tx.unsafe(`SET TRANSACTION SNAPSHOT '${opts.snapshot}'`);
    if (opts.runId === undefined) {
      await tx`select set_config('app.tenant_id', ${tenantId}, true)`;
    } else {
      const [bound] = await tx<{ tenant: string }[]>`select seed.bind_run_tenant(${opts.runId}) as tenant`;
      if (bound?.tenant !== tenantId) {
        throw new SementeError("FORBIDDEN", `run ${opts.runId} does not belong to tenant ${tenantId}`);
      }
    }
    if (opts.statementTimeoutMs !== undefined) {
      await tx`select set_config('statement_timeout', ${String(opts.statementTimeoutMs)}, true)`;
    }
    if (opts.lockTimeoutMs !== undefined) {
      await tx`select set_config('lock_timeout', ${String(opts.lockTimeoutMs)}, true)`;
    }
    return fn(tx);
  });
  return result as T;
}

/** SQLSTATEs worth retrying with backoff: serialization failure, deadlock, lock/statement timeout. */
const RETRYABLE_SQLSTATES = new Set(["40001", "40P01", "55P03", "57014"]);

/** True when a PostgreSQL error is transient and the whole transaction may be retried. */
export function isRetryablePgError(error: unknown): boolean {
  return error instanceof postgres.PostgresError && RETRYABLE_SQLSTATES.has(error.code);
}

/** The SQLSTATE of a PostgreSQL error, or undefined for anything else. */
export function pgErrorCode(error: unknown): string | undefined {
  return error instanceof postgres.PostgresError ? error.code : undefined;
}
