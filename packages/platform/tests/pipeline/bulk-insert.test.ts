import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSql, type TransactionSql, withTenant } from "../../src/db/index.ts";
import { ENTITY_TABLES, generateBatch } from "@semente/core/factories";
import { ENTITIES } from "@semente/core/manifest";
import { bulkInsert, copyLines, copyText, unnestStatement, WritePath } from "../../src/pipeline/index.ts";
import { contextFor } from "../../../core/tests/factories/utils.ts";
import { createTestDatabase, runningRun, type TestDatabase } from "../harness.ts";
import { writerManifest } from "./writer-fixtures.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("pipeline_bulk");
});
afterAll(async () => {
  await db?.drop();
});

class Rollback extends Error {
  constructor(readonly dump: Record<string, string[]>) {
    super("rollback");
  }
}

/** Writes the whole small dataset through `path` as the seeder, dumps every table as text, rolls back. */
async function dumpThrough(path: WritePath): Promise<Record<string, string[]>> {
  const manifest = writerManifest("banco-alfa");
  const ctx = contextFor(manifest);
  try {
    await withTenant(
      db.seederSql,
      "banco-alfa",
      async (tx) => {
        const dump: Record<string, string[]> = {};
        for (const entity of ENTITIES) {
          const batch = generateBatch(ctx, entity, 0, ctx.counts[entity]);
          expect(await bulkInsert(tx, batch, { path, guard: db.seederSql })).toBe(ctx.counts[entity]);
          const rows = await tx.unsafe<{ r: string }[]>(`SELECT t::text AS r FROM banking.${entity} t ORDER BY t.id`);
          dump[entity] = rows.map((x) => x.r);
        }
        throw new Rollback(dump);
      },
      { isolation: "serializable", runId: await runningRun(db, "banco-alfa") },
    );
  } catch (error) {
    if (error instanceof Rollback) return error.dump;
    throw error;
  }
  throw new Error("unreachable: the transaction always rolls back");
}

describe("bulk insert", () => {
  test("bulk-insert - the unnest and COPY paths write identical rows under RLS", async () => {
    const viaUnnest = await dumpThrough(WritePath.unnest);
    const viaCopy = await dumpThrough(WritePath.copy);
    expect(Object.keys(viaUnnest)).toEqual([...ENTITIES]);
    for (const entity of ENTITIES) expect((viaUnnest[entity] ?? []).length).toBeGreaterThan(0);
    expect(viaCopy).toEqual(viaUnnest);
    const [left] = await db.adminSql<{ n: string }[]>`SELECT count(*)::text AS n FROM banking.customers`;
    expect(left?.n).toBe("0");
  });

  test("bulk-insert - tricky text survives both paths byte for byte", async () => {
    const values = ["tab\there", "new\nline", "cr\rhere", "back\\slash", "\\N", "quote\"'{,}", "ação çé 🌱", "", null];
    const rows = values.map((v, i) => [i, v]);
    const read = async (path: WritePath) =>
      withTenant(db.seederSql, "banco-alfa", async (tx: TransactionSql) => {
        await tx.unsafe("CREATE TEMP TABLE probe (n integer, v text) ON COMMIT DROP");
        if (path === WritePath.copy) {
          const chunk = rows.map((r) => `${r.map(copyText).join("\t")}\n`).join("");
          await copyLines(tx, { table: "probe", columns: ["n", "v"], chunks: [chunk], guard: db.seederSql });
        } else {
          const cols = [
            { name: "n", type: "integer", nullable: false },
            { name: "v", type: "text", nullable: true },
          ] as const;
          await tx.unsafe(unnestStatement("probe", cols), [rows.map((r) => r[0]), rows.map((r) => r[1])] as never[]);
        }
        const out = await tx<{ v: string | null }[]>`SELECT v FROM probe ORDER BY n`;
        return out.map((r) => r.v);
      });
    expect(await read(WritePath.copy)).toEqual(values);
    expect(await read(WritePath.unnest)).toEqual(values);
  });

  test("bulk-insert - an empty batch writes nothing; a batch whose columns drift is refused", async () => {
    const manifest = writerManifest("banco-alfa");
    const ctx = contextFor(manifest);
    const batch = generateBatch(ctx, "users", 0, 0);
    const n = await withTenant(db.seederSql, "banco-alfa", (tx) => bulkInsert(tx, batch));
    expect(n).toBe(0);
    const drifted = { ...generateBatch(ctx, "users", 0, 1), columns: ["id"] };
    const error = await withTenant(db.seederSql, "banco-alfa", (tx) => bulkInsert(tx, drifted)).catch((e) => e);
    expect((error as { code?: string }).code).toBe("INTERNAL");
    expect(ENTITY_TABLES.users.columns.length).toBeGreaterThan(1);
  });

  test("bulk-insert - a COPY that never settles is cut off and its connection discarded", async () => {
    let pid = 0;
    async function* stuck(): AsyncGenerator<string> {
      yield "1\tx\n";
      await new Promise(() => undefined);
    }
    // Its own pool: postgres.js keeps the abandoned COPY query, so `end()` needs a timeout.
    const pool = createSql(db.urls.seeder, { max: 2 });
    const started = performance.now();
    const error = await withTenant(pool, "banco-alfa", async (tx) => {
      const [row] = await tx<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      pid = row?.pid ?? 0;
      await tx.unsafe("CREATE TEMP TABLE stuck (n integer, v text) ON COMMIT DROP");
      await copyLines(tx, { table: "stuck", columns: ["n", "v"], chunks: stuck(), timeoutMs: 300, guard: pool });
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(pid).toBeGreaterThan(0);
    const alive = await db.adminSql`SELECT 1 FROM pg_stat_activity WHERE pid = ${pid}`;
    expect(alive.length).toBe(0);
    const [ok] = await pool<{ one: number }[]>`SELECT 1 AS one`;
    expect(ok?.one).toBe(1);
    await pool.end({ timeout: 1 });
  });
});
