import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { withTenant } from "../../src/db/index.ts";
import { clearMaintenance, maintenanceStatus, setMaintenance } from "../../src/lifecycle/index.ts";
import { bankingFixture, insertFixture } from "../db/fixtures.ts";
import { createTestDatabase, runningRun, type TestDatabase } from "../harness.ts";

const A = "tenant-a";
const B = "tenant-b";
let db: TestDatabase;
let row = 10;

beforeAll(async () => {
  db = await createTestDatabase("maintenance");
  for (const [tenant, slot] of [
    [A, 1],
    [B, 2],
  ] as const) {
    const run = await insertFixture(db, tenant, slot);
    await db.adminSql`update seed.runs set state = 'completed', finished_at = now() where id = ${run}`;
  }
});
afterAll(async () => {
  await db.drop();
});

/** An INSERT of a new user of `tenant` by the owner role in the tenant's context. */
function ownerInsert(tenant: string) {
  row += 1;
  const user = bankingFixture(tenant, tenant === A ? 1 : 2, row).users;
  return withTenant(db.ownerSql, tenant, (tx) => tx`insert into banking.users ${tx(user)}`);
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (error) {
    if (error instanceof postgres.PostgresError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected the statement to fail");
}

const finish = (runId: string) =>
  db.adminSql`update seed.runs set state = 'completed', finished_at = now() where id = ${runId}`;

describe("lifecycle - maintenance flag", () => {
  test("maintenance - during a run the database refuses writes to the tenant's rows by every role but the seeder", async () => {
    await ownerInsert(A);
    const runId = await runningRun(db, A);

    const insert = await refusal(ownerInsert(A));
    expect(insert.code).toBe("55000");
    expect(insert.message).toContain("tenant-a is under maintenance");
    for (const statement of [
      (tx: postgres.TransactionSql) => tx`update banking.users set display_name = 'x'`,
      (tx: postgres.TransactionSql) => tx`delete from banking.contracts`,
    ]) {
      expect((await refusal(withTenant(db.ownerSql, A, statement))).code).toBe("55000");
    }
    // the control plane holds no banking privilege at all
    const app = await refusal(
      withTenant(db.appSql, A, (tx) => tx`insert into banking.users ${tx(bankingFixture(A, 1, 99).users)}`),
    );
    expect(app.code).toBe("42501");
    // the run's own seeder still writes, and the other tenant is not frozen
    const user = bankingFixture(A, 1, 77).users;
    await withTenant(db.seederSql, A, (tx) => tx`insert into banking.users ${tx(user)}`, { runId });
    await ownerInsert(B);
    expect((await maintenanceStatus(db.appSql, A, "dev")).runsInProgress).toEqual([runId]);

    await finish(runId);
    await ownerInsert(A);
    expect((await maintenanceStatus(db.appSql, A, "dev")).underMaintenance).toBe(false);
  });

  test("maintenance - a dry run does not freeze the tenant; a planning run does", async () => {
    const dry = await runningRun(db, A);
    await db.adminSql`update seed.runs set dry_run = true where id = ${dry}`;
    await ownerInsert(A);
    await finish(dry);
    const planning = await runningRun(db, A);
    await db.adminSql`update seed.runs set state = 'planning' where id = ${planning}`;
    expect((await refusal(ownerInsert(A))).code).toBe("55000");
    await finish(planning);
    await ownerInsert(A);
  });

  test("maintenance - the run-held flag follows the run's lease: refused while the stamp is ahead or unset, allowed once it passed", async () => {
    const runId = await runningRun(db, A);
    // Not stamped yet (no planner of this release took it): held, as before migration 0140.
    expect((await refusal(ownerInsert(A))).code).toBe("55000");
    await db.adminSql`update seed.runs set lease_expires_at = now() + interval '1 minute' where id = ${runId}`;
    expect((await refusal(ownerInsert(A))).code).toBe("55000");
    expect((await refusal(db.ownerSql`truncate banking.contracts`)).code).toBe("55000");
    expect(await maintenanceStatus(db.appSql, A, "dev")).toMatchObject({ runsInProgress: [runId], runsLapsed: [] });

    // The planner stopped renewing: the stamp is in the past, the tenant is free although the run is `running`.
    await db.adminSql`update seed.runs set lease_expires_at = now() - interval '1 second' where id = ${runId}`;
    await ownerInsert(A);
    const lapsed = await maintenanceStatus(db.appSql, A, "dev");
    expect(lapsed.underMaintenance).toBe(false);
    expect(lapsed.runsInProgress).toEqual([]);
    expect(lapsed.runsLapsed.map((r) => r.id)).toEqual([runId]);
    const [state] = await db.adminSql<{ state: string }[]>`select state from seed.runs where id = ${runId}`;
    expect(state?.state).toBe("running");

    // A planner resumes it and stamps it again: frozen again.
    await db.adminSql`update seed.runs set lease_expires_at = now() + interval '1 minute' where id = ${runId}`;
    expect((await refusal(ownerInsert(A))).code).toBe("55000");
    await finish(runId);
    await ownerInsert(A);
  });

  test("maintenance - set, status and clear by an admin are enforced and audited", async () => {
    const set = await setMaintenance(db.appSql, { tenantId: A, environment: "dev", actor: "alice", reason: "gameday" });
    expect(set).toMatchObject({
      flagged: true,
      underMaintenance: true,
      reason: "gameday",
      setBy: "alice",
      until: null,
    });
    expect((await refusal(ownerInsert(A))).code).toBe("55000");
    // TRUNCATE would wipe every tenant at once: refused while any tenant is under maintenance
    expect((await refusal(db.ownerSql`truncate banking.contracts`)).code).toBe("55000");
    await ownerInsert(B);

    const cleared = await clearMaintenance(db.appSql, { tenantId: A, environment: "dev", actor: "bob" });
    expect(cleared).toMatchObject({ flagged: false, underMaintenance: false, runsInProgress: [] });
    await ownerInsert(A);

    // a flag past its `until` has lapsed
    await setMaintenance(db.appSql, {
      tenantId: A,
      environment: "dev",
      actor: "alice",
      until: new Date(Date.now() - 1000),
    });
    expect((await maintenanceStatus(db.appSql, A, "dev")).flagged).toBe(false);
    await ownerInsert(A);

    const audit = await db.adminSql<{ actor: string; action: string; db_role: string }[]>`
      select actor, action, db_role from seed.audit_log where tenant_id = ${A} and action like 'maintenance.%' order by id`;
    expect([...audit]).toEqual([
      { actor: "alice", action: "maintenance.set", db_role: "semente_app" },
      { actor: "bob", action: "maintenance.clear", db_role: "semente_app" },
      { actor: "alice", action: "maintenance.set", db_role: "semente_app" },
    ]);
  });
});
