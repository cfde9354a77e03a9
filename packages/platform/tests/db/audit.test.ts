import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { appendAudit } from "../../src/db/index.ts";
import type { TestDatabase } from "../harness.ts";
import { createTestDatabase } from "../harness.ts";

let db: TestDatabase;

async function sqlState(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (error) {
    if (error instanceof postgres.PostgresError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected the statement to fail");
}

beforeAll(async () => {
  db = await createTestDatabase("audit");
});

afterAll(async () => {
  await db.drop();
});

describe("audit log", () => {
  test("appendAudit works for the seeder (its own role as actor) and the app role", async () => {
    await appendAudit(db.seederSql, {
      actor: "semente_seeder",
      action: "batch.commit",
      outcome: "success",
      tenantId: "tenant-a",
      environment: "dev",
      runId: "00000000-0000-4000-8000-000000000001",
      details: { entity: "customers", rows: 10 },
    });
    await appendAudit(db.appSql, {
      actor: "gateway",
      action: "preflight.refuse",
      outcome: "refused",
      reason: "PRIVILEGED_ROLE",
    });
    const rows = await db.appSql<
      { actor: string; outcome: string; reason: string | null; details: unknown; db_role: string }[]
    >`select actor, outcome, reason, details, db_role from seed.audit_log order by id`;
    expect(rows.map((r) => [r.actor, r.outcome, r.reason, r.db_role])).toEqual([
      ["semente_seeder", "success", null, "semente_seeder"],
      ["gateway", "refused", "PRIVILEGED_ROLE", "semente_app"],
    ]);
    expect(rows[0]?.details).toEqual({ entity: "customers", rows: 10 });
  });

  test("the audit actor cannot be forged: no direct insert, and the seeder's actor is its role", async () => {
    const forged = { actor: "admin@bank", action: "run.create", outcome: "success" } as const;
    expect((await sqlState(appendAudit(db.seederSql, forged))).code).toBe("42501");
    expect((await sqlState(appendAudit(db.verifierSql, forged))).code).toBe("42501");
    for (const sql of [db.seederSql, db.appSql, db.verifierSql]) {
      const direct = await sqlState(
        sql`insert into seed.audit_log (actor, action, outcome, db_role) values ('admin@bank', 'run.create', 'success', 'semente_app')`,
      );
      expect(direct.code).toBe("42501");
      expect(direct.message).toContain("permission denied");
    }
    // The control plane names the principal it authenticated; the row still records its role.
    await appendAudit(db.appSql, { actor: "admin@bank", action: "run.create", outcome: "success" });
    const [row] = await db.adminSql<{ actor: string; db_role: string }[]>`
      select actor, db_role from seed.audit_log where action = 'run.create'`;
    expect(row).toEqual({ actor: "admin@bank", db_role: "semente_app" });
    await db.adminSql`alter table seed.audit_log disable trigger audit_log_no_update_delete`;
    await db.adminSql`delete from seed.audit_log where action = 'run.create'`;
    await db.adminSql`alter table seed.audit_log enable trigger audit_log_no_update_delete`;
  });

  test("the seeder cannot read the audit log", async () => {
    const failure = await sqlState(db.seederSql`select * from seed.audit_log`);
    expect(failure.code).toBe("42501");
  });

  test("the app role cannot update or delete audit rows (no privilege)", async () => {
    expect((await sqlState(db.appSql`update seed.audit_log set actor = 'x'`)).code).toBe("42501");
    expect((await sqlState(db.appSql`delete from seed.audit_log`)).code).toBe("42501");
  });

  test("even the owner cannot update, delete or truncate audit rows (trigger)", async () => {
    for (const statement of [
      "update seed.audit_log set actor = 'x'",
      "delete from seed.audit_log",
      "truncate seed.audit_log",
    ]) {
      const failure = await sqlState(db.ownerSql.unsafe(statement));
      expect(failure.code).toBe("42501");
      expect(failure.message).toContain("append-only");
    }
    const [count] = await db.appSql<{ n: number }[]>`select count(*)::int as n from seed.audit_log`;
    expect(count?.n).toBe(2);
  });

  test("refuses an unknown outcome", async () => {
    const failure = await sqlState(
      appendAudit(db.appSql, { actor: "gateway", action: "run.create", outcome: "maybe" as never }),
    );
    expect(failure.code).toBe("23514");
  });
});
