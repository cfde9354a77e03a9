import { appendAudit, type Sql } from "../db/index.ts";
import type { MaintenanceStatus } from "./types.ts";

/** Who sets or clears the flag, and why. */
export interface MaintenanceChange {
  tenantId: string;
  environment: string;
  /** The authenticated principal (recorded in the flag row and the audit log). */
  actor: string;
  reason?: string;
  /** When the flag lapses by itself; unset: until cleared. */
  until?: Date;
}

/**
 * Sets the tenant's maintenance flag (control-plane role): admission refuses its runs and the
 * database refuses writes to its banking rows by every role but the seeder. Audited.
 */
export async function setMaintenance(sql: Sql, change: MaintenanceChange): Promise<MaintenanceStatus> {
  await sql.begin(async (tx) => {
    await tx`
      insert into seed.tenant_maintenance (tenant_id, environment, active, reason, set_by, since, until, updated_at)
      values (${change.tenantId}, ${change.environment}, true, ${change.reason ?? null}, ${change.actor}, now(),
              ${change.until ?? null}, now())
      on conflict (tenant_id, environment) do update
         set active = true, reason = excluded.reason, set_by = excluded.set_by, since = now(),
             until = excluded.until, updated_at = now()`;
    await appendAudit(tx as unknown as Sql, {
      actor: change.actor,
      action: "maintenance.set",
      outcome: "success",
      tenantId: change.tenantId,
      environment: change.environment,
      details: { reason: change.reason ?? null, until: change.until?.toISOString() ?? null },
    });
  });
  return maintenanceStatus(sql, change.tenantId, change.environment);
}

/** Clears the flag row (a run in progress still holds the tenant until it ends). Audited. */
export async function clearMaintenance(sql: Sql, change: MaintenanceChange): Promise<MaintenanceStatus> {
  await sql.begin(async (tx) => {
    await tx`
      update seed.tenant_maintenance set active = false, set_by = ${change.actor}, updated_at = now()
       where tenant_id = ${change.tenantId} and environment = ${change.environment}`;
    await appendAudit(tx as unknown as Sql, {
      actor: change.actor,
      action: "maintenance.clear",
      outcome: "success",
      tenantId: change.tenantId,
      environment: change.environment,
      details: { reason: change.reason ?? null },
    });
  });
  return maintenanceStatus(sql, change.tenantId, change.environment);
}

/** The flag row, the runs holding the tenant, and whether the database refuses writes now. */
export async function maintenanceStatus(sql: Sql, tenantId: string, environment: string): Promise<MaintenanceStatus> {
  const [flag] = await sql<{ flagged: boolean; reason: string | null; set_by: string; until: Date | null }[]>`
    select (active and (until is null or until > now())) as flagged, reason, set_by, until
      from seed.tenant_maintenance where tenant_id = ${tenantId} and environment = ${environment}`;
  // Migration 0140: a run holds the tenant while its planner keeps renewing its lease.
  const runs = await sql<{ id: string; holds: boolean; lease_expires_at: Date | null }[]>`
    select id, (lease_expires_at is null or lease_expires_at > now()) as holds, lease_expires_at from seed.runs
     where tenant_id = ${tenantId} and state in ('planning', 'running') and not dry_run order by created_at, id`;
  const [frozen] = await sql<{ on: boolean }[]>`select seed.tenant_under_maintenance(${tenantId}) as on`;
  return {
    tenantId,
    environment,
    flagged: flag?.flagged ?? false,
    runsInProgress: runs.filter((r) => r.holds).map((r) => r.id),
    runsLapsed: runs
      .filter((r) => !r.holds)
      .map((r) => ({ id: r.id, leaseExpiredAt: r.lease_expires_at?.toISOString() ?? "" })),
    underMaintenance: frozen?.on ?? false,
    reason: flag?.reason ?? null,
    setBy: flag?.set_by ?? null,
    until: flag?.until?.toISOString() ?? null,
  };
}
