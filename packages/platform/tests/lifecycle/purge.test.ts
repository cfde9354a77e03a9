import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import postgres from "postgres";
import { BANKING_TABLES, withTenant } from "../../src/db/index.ts";
import { datasetDigest } from "@semente/core/determinism";
import { PURGE_ORDER, purgeTenant } from "../../src/lifecycle/index.ts";
import { bankingFixture } from "../db/fixtures.ts";
import { createTestDatabase, runningRun, type TestDatabase } from "../harness.ts";
import { purgeRun, seedTenant, snapshotTenant } from "./utils.ts";

const A = "banco-alfa";
const B = "banco-beta";
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("purge");
});
afterAll(async () => {
  await db.drop();
});

async function sqlState(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (error instanceof postgres.PostgresError) return error.code;
    throw error;
  }
  throw new Error("expected the statement to fail");
}

const options = (runId: string, tenantId: string, chunkRows = 25) => ({
  sql: db.seederSql,
  runId,
  tenantId,
  environment: "dev",
  mode: "baseline",
  chunkRows,
});

describe("lifecycle - purge", () => {
  test("purge - deletes every row of one tenant in chunks; the other tenant stays byte-identical", async () => {
    const seededA = await seedTenant(db, A, ["baseline", "load"]);
    await seedTenant(db, B);
    const before = await snapshotTenant(db, B);
    expect(before["banking.financial_transactions"]?.length).toBeGreaterThan(100);

    const runId = await purgeRun(db, A);
    const chunks: string[] = [];
    const result = await purgeTenant({ ...options(runId, A), onChunk: (e) => void chunks.push(e) });

    for (const table of BANKING_TABLES)
      expect({ table, n: result.deleted[table] }).toEqual({ table, n: seededA.rows[table] ?? -1 });
    expect(result.deleted.checkpoints).toBe(1);
    expect(Object.values(result.remaining).every((n) => n === 0)).toBe(true);
    expect(result.datasetDigest).toBe(datasetDigest([]));
    expect(chunks.filter((e) => e === "financial_transactions").length).toBeGreaterThan(1);
    // children first: no FK violation, and the order is the reverse of the FK order
    expect(chunks.indexOf("financial_transactions")).toBeLessThan(chunks.indexOf("bank_accounts"));
    expect(chunks.at(-2)).toBe("tenants");

    const after = await snapshotTenant(db, A);
    for (const table of BANKING_TABLES) expect(after[`banking.${table}`]).toEqual([]);
    // only the purged mode's checkpoints go
    expect(after["seed.checkpoints"]?.length).toBe(1);
    expect(after["seed.checkpoints"]?.[0]).toContain(",load,");
    expect(await snapshotTenant(db, B)).toEqual(before);

    const audit = await db.adminSql<{ actor: string; details: { rows_deleted: number } }[]>`
      select actor, details from seed.audit_log where run_id = ${runId} and action = 'purge.complete'`;
    expect(audit.length).toBe(1);
    expect(audit[0]?.actor).toBe("semente_seeder");
    expect(audit[0]?.details.rows_deleted).toBe(result.rowsDeleted);
  });

  test("purge - a purge stopped midway resumes and reports the totals of both attempts", async () => {
    const seeded = await seedTenant(db, A);
    const runId = await purgeRun(db, A);
    let n = 0;
    const stop = new Error("stopped");
    await expect(
      purgeTenant({
        ...options(runId, A, 30),
        onChunk: () => {
          if (++n === 3) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    const result = await purgeTenant(options(runId, A, 30));
    for (const table of BANKING_TABLES) expect(result.deleted[table]).toBe(seeded.rows[table] ?? -1);
  });

  test("purge - kill -9 of the purging process midway: a second attempt completes", async () => {
    const seeded = await seedTenant(db, A);
    const before = await snapshotTenant(db, B);
    const runId = await purgeRun(db, A);
    const worker = Bun.spawn(["bun", join(import.meta.dir, "purge-worker.ts"), db.urls.seeder, runId, A, "20", "200"], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const reader = worker.stdout.getReader();
    let seen = "";
    while ((seen.match(/^chunk /gm) ?? []).length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    worker.kill(9);
    expect(await worker.exited).not.toBe(0);
    expect(seen).not.toContain("done");
    const [partial] = await db.adminSql<{ n: number }[]>`
      select count(*)::int as n from banking.financial_transactions where tenant_id = ${A}`;
    expect(partial?.n).toBeGreaterThan(0);

    const result = await purgeTenant(options(runId, A));
    for (const table of BANKING_TABLES) expect(result.deleted[table]).toBe(seeded.rows[table] ?? -1);
    expect(await snapshotTenant(db, B)).toEqual(before);
  });

  test("purge - the closed purge phase of a reseed deletes nothing more: the seed phase's rows stay", async () => {
    await seedTenant(db, A);
    const runId = await purgeRun(db, A, "reseed");
    // the phase cannot be closed while rows are left, nor outside the run's purge binding
    expect(
      await sqlState(
        db.seederSql.begin(async (tx) => {
          await tx`select seed.bind_purge_tenant(${runId})`;
          return tx`select seed.complete_purge(${runId})`;
        }),
      ),
    ).toBe("55000");
    expect(await sqlState(db.seederSql`select seed.complete_purge(${runId})`)).toBe("42501");
    const first = await purgeTenant(options(runId, A, 500));
    expect(first.alreadyComplete).toBe(false);
    const [run] = await db.adminSql<{ purged_at: Date | null; rows_deleted: string }[]>`
      select purged_at, rows_deleted::text from seed.runs where id = ${runId}`;
    expect(run?.purged_at).not.toBeNull();
    expect(Number(run?.rows_deleted)).toBe(first.rowsDeleted);
    // the seed phase writes under the same run; a redelivered purge then deletes nothing
    const reseeded = await withTenant(
      db.seederSql,
      A,
      (tx) => tx`insert into banking.tenants ${tx(bankingFixture(A, 1, 1).tenants)}`,
      { runId },
    );
    expect(reseeded.count).toBe(1);
    expect(await sqlState(db.seederSql.begin((tx) => tx`select seed.bind_purge_tenant(${runId})`))).toBe("42501");
    const again = await purgeTenant(options(runId, A));
    expect(again.alreadyComplete).toBe(true);
    expect(again.rowsDeleted).toBe(first.rowsDeleted);
    const [left] = await db.adminSql<
      { n: number }[]
    >`select count(*)::int as n from banking.tenants where tenant_id = ${A}`;
    expect(left?.n).toBe(1);
    const audits =
      await db.adminSql`select 1 from seed.audit_log where run_id = ${runId} and action = 'purge.complete'`;
    expect(audits.length).toBe(1);
    await db.adminSql`delete from banking.tenants where tenant_id = ${A}`;
  });

  test("purge - only a running purge run may delete, and only its own tenant's rows", async () => {
    await seedTenant(db, A);
    const before = await snapshotTenant(db, A);
    // a seeding run's binding reads but deletes nothing
    const seedRun = await runningRun(db, A);
    const deleted = await withTenant(db.seederSql, A, (tx) => tx`delete from banking.contracts`, { runId: seedRun });
    expect(deleted.count).toBe(0);
    expect(await sqlState(db.seederSql.begin((tx) => tx`select seed.bind_purge_tenant(${seedRun})`))).toBe("42501");
    // a dry-run purge, or a purge no longer running, gets no purge context
    const dry = await purgeRun(db, A, "purge", true);
    expect(await sqlState(purgeTenant(options(dry, A)))).toBe("42501");
    const ended = await purgeRun(db, A);
    await db.adminSql`update seed.runs set state = 'cancelled', finished_at = now() where id = ${ended}`;
    expect(await sqlState(purgeTenant(options(ended, A)))).toBe("42501");
    // a purge run of B (seeded by the first test) cannot reach A's rows, nor be passed off as A's
    const runB = await purgeRun(db, B);
    await expect(purgeTenant(options(runB, A))).rejects.toMatchObject({ code: "FORBIDDEN" });
    await purgeTenant(options(runB, B));
    // a forged purge setting is worthless
    const forged = await db.seederSql.begin(async (tx) => {
      await tx`select seed.bind_run_tenant(${seedRun})`;
      await tx`select set_config('app.purge_binding', ${`${A}:${"0".repeat(64)}`}, true)`;
      return tx`delete from banking.contracts`;
    });
    expect(forged.count).toBe(0);
    expect(await snapshotTenant(db, A)).toEqual(before);
    expect(PURGE_ORDER.at(-1)).toBe("checkpoints");
  });
});
