import { SementeError } from "@semente/core/errors";
import { driftError, migrationStatus } from "./migrate.ts";
import type { PreflightCheckResult, PreflightOptions, PreflightResult, Sql } from "./types.ts";
import { DbRole, PreflightCheck, RLS_SEED_TABLES } from "./types.ts";

async function checkRole(sql: Sql): Promise<{ role: string; result: PreflightCheckResult }> {
  const [row] = await sql<{ role: string; rolsuper: boolean; rolbypassrls: boolean }[]>`
    select current_user as role, rolsuper, rolbypassrls from pg_roles where rolname = current_user`;
  if (row === undefined) throw new SementeError("INTERNAL", "current role not found in pg_roles");
  const privilege = row.rolsuper ? "SUPERUSER" : row.rolbypassrls ? "BYPASSRLS" : undefined;
  const result: PreflightCheckResult =
    privilege === undefined
      ? { check: PreflightCheck.ROLE, ok: true, detail: `role ${row.role} is subject to RLS` }
      : {
          check: PreflightCheck.ROLE,
          ok: false,
          code: "PRIVILEGED_ROLE",
          detail: `role ${row.role} has ${privilege} and would bypass row-level security`,
        };
  return { role: row.role, result };
}

async function checkRls(sql: Sql): Promise<PreflightCheckResult> {
  const rows = await sql<{ name: string; enforced: boolean }[]>`
    select n.nspname || '.' || c.relname as name, c.relrowsecurity and c.relforcerowsecurity as enforced
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p')
       and (n.nspname = 'banking' or (n.nspname = 'seed' and c.relname = any(${[...RLS_SEED_TABLES]})))
     order by 1`;
  const missing = rows.filter((r) => !r.enforced).map((r) => r.name);
  if (rows.length === 0) {
    return {
      check: PreflightCheck.RLS,
      ok: false,
      code: "RLS_NOT_ENFORCED",
      detail: "no banking tables found (schema not migrated?)",
    };
  }
  if (missing.length > 0) {
    return {
      check: PreflightCheck.RLS,
      ok: false,
      code: "RLS_NOT_ENFORCED",
      detail: `row-level security not enabled and forced on: ${missing.join(", ")}`,
    };
  }
  return { check: PreflightCheck.RLS, ok: true, detail: `${rows.length} tables under forced RLS` };
}

/**
 * The one predicate a permissive policy of the data-plane role may have, as `pg_get_expr` prints
 * the policies of migration 0051. Compared exactly: `seed.bound_tenant() IS NOT NULL`, or the
 * check OR-ed with anything, would let a bound session reach other tenants.
 */
const BOUND_PREDICATE = "(tenant_id = ( SELECT seed.bound_tenant() AS bound_tenant))";

/**
 * The tenant context of the data-plane role is bound to an admitted run: on every table under RLS,
 * at least one permissive policy applies to `semente_seeder`, and every one that does is exactly
 * `tenant_id = (SELECT seed.bound_tenant())` in USING and WITH CHECK, never a free-form setting.
 * Read from pg_policy, so it holds whichever role runs the preflight.
 */
async function checkTenantBinding(sql: Sql): Promise<PreflightCheckResult> {
  const rows = await sql<{ name: string; bound: number; unbound: number }[]>`
    with policy as (
      select p.polrelid,
             pg_get_expr(p.polqual, p.polrelid) is not distinct from ${BOUND_PREDICATE}
               and (p.polwithcheck is null or pg_get_expr(p.polwithcheck, p.polrelid) = ${BOUND_PREDICATE}) as bound
        from pg_policy p
       where p.polpermissive
         and (0::oid = any(p.polroles) or (select oid from pg_roles where rolname = ${DbRole.SEEDER}) = any(p.polroles))
    )
    select n.nspname || '.' || c.relname as name,
           count(*) filter (where p.bound)::int as bound,
           count(*) filter (where not p.bound)::int as unbound
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      left join policy p on p.polrelid = c.oid
     where c.relkind in ('r', 'p')
       and (n.nspname = 'banking' or (n.nspname = 'seed' and c.relname = any(${[...RLS_SEED_TABLES]})))
     group by 1
     order by 1`;
  const loose = rows.filter((r) => r.unbound > 0 || r.bound === 0).map((r) => r.name);
  if (rows.length === 0 || loose.length > 0) {
    return {
      check: PreflightCheck.TENANT_BINDING,
      ok: false,
      code: "RLS_NOT_ENFORCED",
      detail:
        rows.length === 0
          ? "no banking tables found (schema not migrated?)"
          : `${DbRole.SEEDER} policies not bound to an admitted run (${BOUND_PREDICATE}) on: ${loose.join(", ")}`,
    };
  }
  return {
    check: PreflightCheck.TENANT_BINDING,
    ok: true,
    detail: `${rows.length} tables accept ${DbRole.SEEDER} rows only for a tenant bound to a running run`,
  };
}

async function checkMigrations(sql: Sql, dir: string): Promise<PreflightCheckResult> {
  const status = await migrationStatus(sql, dir);
  if (status.drifted.length > 0) {
    return {
      check: PreflightCheck.MIGRATIONS,
      ok: false,
      code: "MIGRATION_DRIFT",
      detail: driftError(status).message,
    };
  }
  if (status.pending.length > 0) {
    return {
      check: PreflightCheck.MIGRATIONS,
      ok: false,
      code: "PENDING_MIGRATIONS",
      detail: `pending migrations: ${status.pending.map((f) => f.file).join(", ")}`,
    };
  }
  return { check: PreflightCheck.MIGRATIONS, ok: true, detail: `${status.applied.length} migrations applied` };
}

/**
 * Runs every preflight check and reports each one (for evidence); never throws on a failed
 * check, only on an unreachable database.
 */
export async function runPreflight(sql: Sql, opts: PreflightOptions): Promise<PreflightResult> {
  const { role, result: roleCheck } = await checkRole(sql);
  const checks = [
    roleCheck,
    await checkRls(sql),
    await checkTenantBinding(sql),
    await checkMigrations(sql, opts.migrationsDir),
  ];
  return { ok: checks.every((c) => c.ok), role, checks };
}

/**
 * Fail-closed gate every service runs before writing: throws PRIVILEGED_ROLE, RLS_NOT_ENFORCED
 * (RLS off, or the data-plane policies not bound to a run), MIGRATION_DRIFT or PENDING_MIGRATIONS
 * (the first failing check, in that order).
 */
export async function assertPreflight(sql: Sql, opts: PreflightOptions): Promise<PreflightResult> {
  const result = await runPreflight(sql, opts);
  const failed = result.checks.find((c) => !c.ok);
  if (failed?.code !== undefined) {
    throw new SementeError(failed.code, failed.detail, { extensions: { check: failed.check, role: result.role } });
  }
  return result;
}
