/** The `rls` checklist item: the run's recorded preflight shows forced RLS, policies and a role without bypass. */
import { RLS_REQUIRED_TABLES } from "../db/rls-record.ts";
import { type ChecklistInput, na } from "./checklist-input.ts";
import type { CheckItem } from "./report-types.ts";

interface RlsDetails {
  role?: { name?: unknown; superuser?: unknown; bypassrls?: unknown };
  tables?: { table?: unknown; rls_enabled?: unknown; rls_forced?: unknown; policies?: unknown }[];
}

type RlsTable = NonNullable<RlsDetails["tables"]>[number];

export function rlsCheck({ audit, checkpoints }: ChecklistInput): CheckItem {
  const record = audit.filter((a) => a.action.startsWith("preflight.")).at(-1);
  if (record === undefined) {
    return checkpoints.length === 0
      ? na("rls", "no preflight was recorded and no rows were written")
      : {
          id: "rls",
          status: "fail",
          summary: "rows were written but no preflight result was recorded",
          evidence: { preflight_recorded: false, checkpoints: checkpoints.length },
        };
  }
  const checks = Array.isArray(record.details?.checks)
    ? (record.details.checks as { check?: unknown; ok?: unknown }[])
    : [];
  const rls = (record.details?.rls ?? {}) as RlsDetails;
  const tables = Array.isArray(rls.tables) ? rls.tables : [];
  const tablesFailed = failedTables(tables);
  const policies = tables.flatMap((t) =>
    Array.isArray(t.policies) ? t.policies.map((p) => `${String(t.table)}:${String(p)}`) : [],
  );
  const roleOk = rls.role?.superuser === false && rls.role?.bypassrls === false;
  const failed = checks.filter((c) => c.ok !== true).map((c) => String(c.check));
  const recorded = checks.length > 0 && tables.length > 0 && rls.role !== undefined;
  const ok = record.outcome === "success" && recorded && failed.length === 0 && tablesFailed.length === 0 && roleOk;
  return {
    id: "rls",
    status: ok ? "pass" : "fail",
    summary: rlsSummary(ok, recorded, tables.length, rls.role?.name),
    evidence: {
      preflight_action: record.action,
      outcome: record.outcome,
      ...roleEvidence(rls.role),
      checks_passed: checks.filter((c) => c.ok === true).map((c) => String(c.check)),
      checks_failed: failed,
      tables_checked: tables.map((t) => String(t.table)),
      tables_failed: tablesFailed,
      policies,
      refusal_code: record.reason,
    },
  };
}

/** The required tables the preflight did not show with RLS enabled, forced and at least one policy. */
function failedTables(tables: RlsTable[]): string[] {
  const seen = new Map(tables.map((t) => [String(t.table), t]));
  return RLS_REQUIRED_TABLES.filter((name) => {
    const t = seen.get(name);
    return (
      t === undefined ||
      t.rls_enabled !== true ||
      t.rls_forced !== true ||
      !Array.isArray(t.policies) ||
      t.policies.length === 0
    );
  });
}

function rlsSummary(ok: boolean, recorded: boolean, tables: number, role: unknown): string {
  if (ok) {
    return `RLS preflight passed: ${tables} tables with forced RLS and a policy, role ${String(role)} without SUPERUSER or BYPASSRLS`;
  }
  return !recorded
    ? "the preflight record lists no role attributes, table checks or checks that ran"
    : "RLS preflight did not pass";
}

/** The role's name and attributes as recorded (null where the record has no value of the right type). */
function roleEvidence(role: RlsDetails["role"]): {
  role: string | null;
  role_superuser: boolean | null;
  role_bypassrls: boolean | null;
} {
  return {
    role: typeof role?.name === "string" ? role.name : null,
    role_superuser: typeof role?.superuser === "boolean" ? role.superuser : null,
    role_bypassrls: typeof role?.bypassrls === "boolean" ? role.bypassrls : null,
  };
}
