import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { withTenant } from "../../src/db/index.ts";
import { ENTITY_TABLES, generateBatch } from "@semente/core/factories";
import { ENTITIES, type Manifest } from "@semente/core/manifest";
import { createTestDatabase, runningRun, type TestDatabase } from "../harness.ts";
import { contextFor, profile, smallManifest } from "../../../core/tests/factories/utils.ts";

let db: TestDatabase;
/** The running run each tenant's seeder transactions bind to. */
const runs = new Map<string, string>();
beforeAll(async () => {
  db = await createTestDatabase("factories");
  for (const tenant of ["banco-alfa", "banco-beta"]) runs.set(tenant, await runningRun(db, tenant));
});
const bound = (tenant: string) => ({ runId: runs.get(tenant) as string });
afterAll(async () => {
  await db.drop();
});

async function seed(manifest: Manifest): Promise<void> {
  const ctx = contextFor(manifest);
  await withTenant(
    db.seederSql,
    ctx.tenant,
    async (tx) => {
      for (const entity of ENTITIES) {
        const { table, columns } = ENTITY_TABLES[entity];
        for (let from = 0; from < ctx.counts[entity]; from += manifest.batch_size) {
          const to = Math.min(ctx.counts[entity], from + manifest.batch_size);
          const { rows } = generateBatch(ctx, entity, from, to);
          // INSERT … SELECT FROM unnest($1::type[], …): one typed array per column, as the seeder will do.
          const arrays = columns.map((_, c) => rows.map((r) => (r[c] === null ? null : String(r[c]))));
          const names = columns.map((c) => `"${c.name}"`).join(", ");
          const params = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(", ");
          await tx.unsafe(`INSERT INTO ${table} (${names}) SELECT * FROM unnest(${params})`, arrays as never[]);
        }
      }
    },
    bound(ctx.tenant),
  );
}

describe("factories - seeding PostgreSQL", () => {
  const alfa = smallManifest(profile("staging", "banco-alfa"), { batch_size: 64 });
  const beta = smallManifest(profile("dev", "banco-beta"), { batch_size: 64 });

  test("both tenants insert as semente_seeder without a constraint violation", async () => {
    await seed(alfa);
    await seed(beta);
    for (const manifest of [alfa, beta]) {
      const ctx = contextFor(manifest);
      await withTenant(
        db.seederSql,
        ctx.tenant,
        async (tx) => {
          for (const entity of ENTITIES) {
            const [row] = await tx.unsafe(`SELECT count(*)::int AS n FROM ${ENTITY_TABLES[entity].table}`);
            expect({ entity, n: row?.n }).toEqual({ entity, n: ctx.counts[entity] });
          }
        },
        bound(ctx.tenant),
      );
    }
  });

  test("RLS still isolates the tenants", async () => {
    const seen = await withTenant(
      db.seederSql,
      "banco-beta",
      (tx) => tx.unsafe("SELECT DISTINCT tenant_id FROM banking.customers"),
      bound("banco-beta"),
    );
    expect(seen.map((r) => r.tenant_id)).toEqual(["banco-beta"]);
    const none = await db.seederSql.unsafe("SELECT count(*)::int AS n FROM banking.loans");
    expect(none[0]?.n).toBe(0);
  });
});
