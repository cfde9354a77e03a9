import { createTokenVerifier, Role, resolveAuthKeys } from "@semente/platform/auth";
import { loadConfig } from "@semente/platform/config";
import { createSql, TENANT_ID_PATTERN } from "@semente/platform/db";
import {
  assertAdmin,
  clearMaintenance,
  type MaintenanceStatus,
  maintenanceStatus,
  setMaintenance,
} from "@semente/platform/lifecycle";
import { Environment } from "@semente/core/manifest";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";
import { resolveToken } from "../api/client.ts";
import { APP_DATABASE_URL } from "./seed.ts";

const USAGE = `usage: semente maintenance set|clear|status --tenant <t> --env <e> [--reason <text>] [--until <ISO time>] [--json]

set     turns the tenant's maintenance flag on (until cleared, or until --until): admission refuses its
        runs, and the database refuses writes to its banking rows by every role but the seeder.
clear   turns the flag off. A run in progress still holds the tenant until it ends or its lease
        expires (no planner renewing it).
status  prints the flag, the runs holding the tenant (and those whose lease expired), and whether
        writes are refused now.

Needs an admin token for the tenant and environment (SEMENTE_TOKEN; in dev one is minted locally)
and SEMENTE_APP_DATABASE_URL. set and clear are audited (maintenance.set, maintenance.clear).
Exit codes: 0 done, 2 usage, 7 not an admin of that tenant × environment.`;

const ENVIRONMENTS: readonly string[] = Object.values(Environment);

function render(s: MaintenanceStatus): string {
  const lines = [
    `tenant ${s.tenantId} in ${s.environment}: ${s.underMaintenance ? "under maintenance (writes refused)" : "not under maintenance"}`,
    `  flag: ${s.flagged ? `on, set by ${s.setBy}${s.reason === null ? "" : ` (${s.reason})`}${s.until === null ? "" : `, until ${s.until}`}` : "off"}`,
  ];
  if (s.runsInProgress.length > 0) lines.push(`  runs holding the tenant: ${s.runsInProgress.join(", ")}`);
  for (const lapsed of s.runsLapsed) {
    lines.push(`  run ${lapsed.id}: lease expired at ${lapsed.leaseExpiredAt} (no planner renews it); holds nothing`);
  }
  return lines.join("\n");
}

/** The tenant and environment (both required and well-formed) and the optional `--until` time. */
function target(values: { tenant?: string; env?: string; until?: string }): {
  tenant: string;
  environment: string;
  until: Date | undefined;
} {
  const tenant = values.tenant;
  const environment = values.env;
  if (tenant === undefined || environment === undefined)
    throw new UsageError(`--tenant and --env are required\n\n${USAGE}`);
  if (!TENANT_ID_PATTERN.test(tenant)) throw new UsageError("--tenant must match ^[a-z0-9][a-z0-9-]{1,62}$");
  if (!ENVIRONMENTS.includes(environment)) throw new UsageError(`--env must be one of ${ENVIRONMENTS.join(", ")}`);
  let until: Date | undefined;
  if (values.until !== undefined) {
    until = new Date(values.until);
    if (Number.isNaN(until.getTime())) throw new UsageError("--until must be an ISO 8601 time");
  }
  return { tenant, environment, until };
}

export const maintenanceCommand: Command = {
  name: "maintenance",
  summary: "set, clear or show a tenant's maintenance flag (admin)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      tenant: { type: "string" },
      env: { type: "string" },
      reason: { type: "string" },
      until: { type: "string" },
      json: { type: "boolean" },
    });
    const [verb] = positionals;
    if (verb !== "set" && verb !== "clear" && verb !== "status") throw new UsageError(USAGE);
    const { tenant, environment, until } = target(values);
    const token = await resolveToken({ roles: [Role.admin], tenants: [tenant], environments: [environment] });
    const principal = await (await createTokenVerifier(resolveAuthKeys()))(token);
    assertAdmin(principal, { tenant, environment });

    const { SEMENTE_APP_DATABASE_URL } = loadConfig({ SEMENTE_APP_DATABASE_URL: APP_DATABASE_URL });
    const sql = createSql(SEMENTE_APP_DATABASE_URL, { applicationName: "semente-cli-maintenance", max: 1 });
    try {
      const change = {
        tenantId: tenant,
        environment,
        actor: principal.subject,
        ...(values.reason === undefined ? {} : { reason: values.reason }),
        ...(until === undefined ? {} : { until }),
      };
      const status =
        verb === "set"
          ? await setMaintenance(sql, change)
          : verb === "clear"
            ? await clearMaintenance(sql, change)
            : await maintenanceStatus(sql, tenant, environment);
      out(values.json ? JSON.stringify(status) : render(status));
      return 0;
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
};
