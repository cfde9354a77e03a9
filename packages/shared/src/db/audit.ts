import type { AuditEntry, Sql } from "./types.ts";

/**
 * Appends one row to the append-only `seed.audit_log`. Returns nothing: the seeder role has
 * INSERT but not SELECT on the log, so RETURNING is not available to it.
 */
export async function appendAudit(sql: Sql, entry: AuditEntry): Promise<void> {
  await sql`
    insert into seed.audit_log (actor, action, outcome, tenant_id, environment, run_id, reason, details)
    values (${entry.actor}, ${entry.action}, ${entry.outcome}, ${entry.tenantId ?? null}, ${entry.environment ?? null},
            ${entry.runId ?? null}, ${entry.reason ?? null}, ${entry.details === undefined ? null : sql.json(entry.details as never)})`;
}
