import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { BANKING_TABLES, withTenant } from "../../src/db/index.ts";
import type { TestDatabase } from "../harness.ts";
import { createTestDatabase, runningRun } from "../harness.ts";
import { bankingFixture, fixtureId, insertFixture } from "./fixtures.ts";

const A = "tenant-a";
const B = "tenant-b";
let db: TestDatabase;
/** Running runs of A and B (the fixtures were inserted bound to them). */
let runA: string;
let runB: string;

async function sqlState(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (error) {
    if (error instanceof postgres.PostgresError) return { code: error.code, message: error.message };
    if (error instanceof Error && "code" in error) return { code: String(error.code), message: error.message };
    throw error;
  }
  throw new Error("expected the statement to fail");
}

beforeAll(async () => {
  db = await createTestDatabase("rls");
  runA = await insertFixture(db, A, 1);
  runB = await insertFixture(db, B, 2);
});

afterAll(async () => {
  await db.drop();
});

describe("rls - seeder bound to a running run of tenant A", () => {
  for (const table of BANKING_TABLES) {
    test(`sees only tenant A rows and can neither update nor delete (not a purge) in banking.${table}`, async () => {
      const rel = `banking.${table}`;
      const bId = table === "tenants" ? B : fixtureId(2, table);
      await withTenant(
        db.seederSql,
        A,
        async (tx) => {
          const rows = await tx<{ tenant_id: string }[]>`select tenant_id from ${tx(rel)}`;
          expect(rows.map((r) => r.tenant_id)).toEqual([A]);
          const byId = await tx`select 1 from ${tx(rel)} where id = ${bId}`;
          expect(byId.count).toBe(0);
        },
        { runId: runA },
      );
      const failure = await sqlState(
        withTenant(db.seederSql, A, (tx) => tx`update ${tx(rel)} set created_at = created_at where tenant_id = ${A}`, {
          runId: runA,
        }),
      );
      expect(failure.code).toBe("42501");
      expect(failure.message).toContain("permission denied");
      // DELETE is granted for purges (migration 0100), but only under a purge run's binding.
      for (const id of [bId, table === "tenants" ? A : fixtureId(1, table)]) {
        const deleted = await withTenant(db.seederSql, A, (tx) => tx`delete from ${tx(rel)} where id = ${id}`, {
          runId: runA,
        });
        expect(deleted.count).toBe(0);
      }
    });

    test(`refuses a tenant B row inserted while bound to tenant A in banking.${table}`, async () => {
      const row = bankingFixture(B, 2, 9)[table];
      if (table === "tenants") Object.assign(row, { id: "tenant-b-two", tenant_id: "tenant-b-two" });
      const failure = await sqlState(
        withTenant(
          db.seederSql,
          A,
          async (tx) => {
            await tx`insert into ${tx(`banking.${table}`)} ${tx(row as Record<string, unknown>)}`;
          },
          { runId: runA },
        ),
      );
      expect(failure.code).toBe("42501");
      expect(failure.message).toContain("new row violates row-level security policy");
    });

    test(`shows nothing in banking.${table} without a binding`, async () => {
      const rows = await db.seederSql`select 1 from ${db.seederSql(`banking.${table}`)}`;
      expect(rows.count).toBe(0);
    });
  }

  test("tenant B still has its untouched rows in every table", async () => {
    await withTenant(
      db.seederSql,
      B,
      async (tx) => {
        for (const table of BANKING_TABLES) {
          const rows = await tx<{ tenant_id: string }[]>`select tenant_id from ${tx(`banking.${table}`)}`;
          expect(rows.map((r) => r.tenant_id)).toEqual([B]);
        }
      },
      { runId: runB },
    );
  });

  test("the binding does not outlive its transaction on a pooled connection", async () => {
    const conn = await db.seederSql.reserve();
    try {
      await conn.unsafe("begin");
      await conn`select seed.bind_run_tenant(${runA})`;
      const inside = await conn`select 1 from banking.customers`;
      const [saved] = await conn<{ value: string }[]>`select current_setting('app.tenant_binding') as value`;
      await conn.unsafe("commit");
      const after = await conn`select 1 from banking.customers`;
      // Replaying the binding in a later transaction of the same session is worth nothing.
      await conn.unsafe("begin");
      await conn`select set_config('app.tenant_binding', ${saved?.value ?? ""}, true)`;
      const replayed = await conn`select 1 from banking.customers`;
      await conn.unsafe("rollback");
      expect(inside.count).toBe(1);
      expect(after.count).toBe(0);
      expect(replayed.count).toBe(0);
    } finally {
      conn.release();
    }
  });

  test("the owner is subject to forced RLS too", async () => {
    const unset = await db.ownerSql`select 1 from banking.customers`;
    expect(unset.count).toBe(0);
    const scoped = await withTenant(db.ownerSql, B, (tx) => tx`select tenant_id from banking.customers`);
    expect(scoped.map((r) => r.tenant_id)).toEqual([B]);
  });
});

describe("rls - a tenant context only for an admitted run (issue 10 §4)", () => {
  test("a seeder session naming a tenant with app.tenant_id sees and changes nothing", async () => {
    const [seen, counted] = await db.seederSql.begin(async (tx) => {
      await tx`select set_config('app.tenant_id', ${A}, true)`;
      const rows = await tx`select 1 from banking.customers`;
      const [cp] = await tx<{ n: number }[]>`select count(*)::int as n from seed.checkpoints`;
      return [rows.count, cp?.n];
    });
    expect([seen, counted]).toEqual([0, 0]);
    const row = bankingFixture(A, 1, 7).account_categories;
    const failure = await sqlState(
      db.seederSql.begin(async (tx) => {
        await tx`select set_config('app.tenant_id', ${A}, true)`;
        await tx`insert into banking.account_categories ${tx(row as Record<string, unknown>)}`;
      }),
    );
    expect(failure.code).toBe("42501");
  });

  test("a forged or borrowed binding setting is worth nothing", async () => {
    const borrowed = await withTenant(
      db.seederSql,
      A,
      async (tx) => (await tx<{ v: string }[]>`select current_setting('app.tenant_binding') as v`)[0]?.v ?? "",
      { runId: runA },
    );
    for (const value of [borrowed, `${A}:${"0".repeat(64)}`, A, `${A}:`, ""]) {
      const seen = await db.seederSql.begin(async (tx) => {
        await tx`select set_config('app.tenant_binding', ${value}, true)`;
        return (await tx`select 1 from banking.customers`).count;
      });
      expect(seen).toBe(0);
    }
  });

  test("a binding is worth nothing in another session, even while its transaction is open", async () => {
    const [one, two] = [await db.seederSql.reserve(), await db.seederSql.reserve()];
    try {
      await one.unsafe("begin");
      await one`select seed.bind_run_tenant(${runA})`;
      const [bound] = await one<{ v: string }[]>`select current_setting('app.tenant_binding') as v`;
      await two.unsafe("begin");
      await two`select set_config('app.tenant_binding', ${bound?.v ?? ""}, true)`;
      const seenByTwo = (await two`select 1 from banking.customers`).count;
      const seenByOne = (await one`select 1 from banking.customers`).count;
      await two.unsafe("rollback");
      await one.unsafe("rollback");
      expect([seenByOne, seenByTwo]).toEqual([1, 0]);
    } finally {
      one.release();
      two.release();
    }
    // Nor can the seeder compute a MAC itself or read the run table behind the function.
    expect((await sqlState(db.seederSql`select seed.binding_mac(${A})`)).code).toBe("42501");
    expect((await sqlState(db.seederSql`select manifest from seed.runs`)).code).toBe("42501");
  });

  test("the seeder reads a run by id, with its manifest only while it is running", async () => {
    const done = await runningRun(db, B);
    await db.adminSql`update seed.runs set manifest = '{"secret": 1}' where id in (${done}, ${runB})`;
    await db.adminSql`update seed.runs set state = 'completed', finished_at = now() where id = ${done}`;
    const read = async (id: string) =>
      (
        await db.seederSql<{ state: string; manifest: unknown }[]>`select state, manifest from seed.seeder_run(${id})`
      )[0];
    expect(await read(runB)).toEqual({ state: "running", manifest: { secret: 1 } });
    expect(await read(done)).toEqual({ state: "completed", manifest: null });
    expect(await read(crypto.randomUUID())).toBeUndefined();
    for (const sql of [db.appSql, db.verifierSql]) {
      expect((await sqlState(sql`select * from seed.seeder_run(${runB})`)).code).toBe("42501");
    }
  });

  test("a tenant with no running run gets no context: not queued, completed, unknown, nor another tenant's run", async () => {
    const completed = await runningRun(db, A);
    await db.adminSql`update seed.runs set state = 'completed', finished_at = now() where id = ${completed}`;
    for (const runId of [completed, crypto.randomUUID()]) {
      const failure = await sqlState(withTenant(db.seederSql, A, (tx) => tx`select 1`, { runId }));
      expect(failure.code).toBe("42501");
      expect(failure.message).toContain("not running");
    }
    const foreign = await sqlState(withTenant(db.seederSql, A, (tx) => tx`select 1`, { runId: runB }));
    expect(foreign.code).toBe("FORBIDDEN");
    // The binding function is the data plane's alone; the app and verifier roles cannot call it.
    for (const sql of [db.appSql, db.verifierSql]) {
      expect((await sqlState(sql`select seed.bind_run_tenant(${runA})`)).code).toBe("42501");
    }
  });

  test("a read-only bound lookup works and is not recorded; the binding ignores TimeZone", async () => {
    const count = async () =>
      (await db.adminSql<{ n: number }[]>`select count(*)::int as n from seed.tenant_bindings`)[0]?.n;
    const before = await count();
    const seen = await withTenant(
      db.seederSql,
      A,
      async (tx) => {
        const first = (await tx`select 1 from banking.customers`).count;
        await tx`select set_config('TimeZone', 'Pacific/Kiritimati', true)`;
        return [first, (await tx`select 1 from banking.customers`).count];
      },
      { runId: runA, readOnly: true },
    );
    expect(seen).toEqual([1, 1]);
    expect(await count()).toBe(before);
  });

  test("every binding is recorded with its session, and only the owner reads the record", async () => {
    const [row] = await db.adminSql<{ n: number; roles: string[] }[]>`
      select count(*)::int as n, array_agg(distinct db_role) as roles from seed.tenant_bindings where run_id = ${runA}`;
    expect(row?.n).toBeGreaterThan(0);
    expect(row?.roles).toEqual(["semente_seeder"]);
    for (const sql of [db.seederSql, db.appSql, db.verifierSql]) {
      expect((await sqlState(sql`select 1 from seed.tenant_bindings`)).code).toBe("42501");
      expect((await sqlState(sql`select 1 from seed.tenant_binding_keys`)).code).toBe("42501");
    }
  });
});

describe("rls - control-plane and verification roles", () => {
  test("the control plane cannot read banking rows, whatever its tenant setting", async () => {
    for (const table of BANKING_TABLES) {
      const failure = await sqlState(withTenant(db.appSql, A, (tx) => tx`select 1 from ${tx(`banking.${table}`)}`));
      expect(failure.code).toBe("42501");
      expect(failure.message).toContain("permission denied");
    }
  });

  test("the verifier reads one tenant's rows under RLS and writes nothing", async () => {
    for (const table of BANKING_TABLES) {
      const rows = await withTenant(db.verifierSql, A, (tx) => tx`select tenant_id from ${tx(`banking.${table}`)}`);
      expect(rows.map((r) => r.tenant_id)).toEqual([A]);
    }
    expect((await db.verifierSql`select 1 from banking.customers`).count).toBe(0);
    const failure = await sqlState(
      withTenant(db.verifierSql, A, (tx) => tx`delete from banking.installments where tenant_id = ${A}`),
    );
    expect(failure.code).toBe("42501");
  });
});

describe("rls - seed.checkpoints", () => {
  const checkpoint = (tenant: string, runId: string, batch: number) => ({
    tenant_id: tenant,
    environment: "dev",
    mode: "baseline",
    run_id: runId,
    entity: "customers",
    batch_index: batch,
    from_ordinal: batch * 10,
    to_ordinal: batch * 10 + 10,
    row_count: 10,
    digest: "b".repeat(64),
    manifest_hash: "a".repeat(64),
    key_version: 1,
    reference_datetime: "2025-01-01T00:00:00Z",
  });

  test("checkpoints are segregated per tenant and written only under a binding", async () => {
    await withTenant(db.seederSql, A, (tx) => tx`insert into seed.checkpoints ${tx(checkpoint(A, runA, 0))}`, {
      runId: runA,
    });
    const seenByB = await withTenant(db.seederSql, B, (tx) => tx`select 1 from seed.checkpoints`, { runId: runB });
    const seenByA = await withTenant(db.appSql, A, (tx) => tx`select 1 from seed.checkpoints`);
    const seenByVerifier = await withTenant(db.verifierSql, A, (tx) => tx`select 1 from seed.checkpoints`);
    expect([seenByB.count, seenByA.count, seenByVerifier.count]).toEqual([0, 1, 1]);
    const crossTenant = await sqlState(
      withTenant(db.seederSql, B, (tx) => tx`insert into seed.checkpoints ${tx(checkpoint(A, runA, 1))}`, {
        runId: runB,
      }),
    );
    expect(crossTenant.code).toBe("42501");
    const unbound = await sqlState(
      db.seederSql.begin(async (tx) => {
        await tx`select set_config('app.tenant_id', ${A}, true)`;
        await tx`insert into seed.checkpoints ${tx(checkpoint(A, runA, 2))}`;
      }),
    );
    expect(unbound.code).toBe("42501");
    expect((await sqlState(db.seederSql`update seed.checkpoints set row_count = 0`)).code).toBe("42501");
    expect((await sqlState(db.appSql`delete from seed.checkpoints`)).code).toBe("42501");
  });
});
