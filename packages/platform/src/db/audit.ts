import type { AuditEntry, Sql } from "./types.ts";

/**
 * Appends one row to the append-only `seed.audit_log` through `seed.append_audit` (no role inserts
 * directly). The function records the session's database role in `db_role`; only the control-plane
 * role names another actor (the principal it authenticated), any other role must pass its own role
 * name as `actor` or is refused (42501). Returns nothing: the seeder cannot read the log.
 */
export async function appendAudit(sql: Sql, entry: AuditEntry): Promise<void> {
  await sql`
    select seed.append_audit(${entry.actor}::text, ${entry.action}::text, ${entry.outcome}::text,
      ${entry.tenantId ?? null}::text, ${entry.environment ?? null}::text, ${entry.runId ?? null}::uuid,
      ${entry.reason ?? null}::text, ${entry.details === undefined ? null : sql.json(entry.details as never)}::jsonb)`;
}
