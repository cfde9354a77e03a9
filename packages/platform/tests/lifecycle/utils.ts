import { BANKING_TABLES, withTenant } from "../../src/db/index.ts";
import { ENTITY_TABLES, generateBatch } from "@semente/core/factories";
import { ENTITIES } from "@semente/core/manifest";
import { contextFor, profile, smallManifest } from "../../../core/tests/factories/utils.ts";
import { runningRun, type TestDatabase } from "../harness.ts";

/**
 * Seeds a small factory dataset of the dev profile of `tenant` (`banco-alfa` or `banco-beta`) as the
 * data-plane role bound to a running run (counts times `scale`), plus one checkpoint row per mode
 * listed. Returns the seeding run and the rows per banking table.
 */
export async function seedTenant(
  db: TestDatabase,
  tenant: string,
  modes: readonly string[] = ["baseline"],
  scale = 1,
): Promise<{ runId: string; rows: Record<string, number> }> {
  const manifest = smallManifest(profile("dev", tenant), { batch_size: 64 });
  for (const v of Object.values(manifest.volumetry)) {
    v.count *= scale;
    v.cap = Math.max(v.cap, v.count);
  }
  const ctx = contextFor(manifest);
  const runId = await runningRun(db, tenant);
  await withTenant(
    db.seederSql,
    tenant,
    async (tx) => {
      for (const entity of ENTITIES) {
        const { table, columns } = ENTITY_TABLES[entity];
        const names = columns.map((c) => `"${c.name}"`).join(", ");
        const params = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(", ");
        for (let from = 0; from < ctx.counts[entity]; from += 20_000) {
          const { rows } = generateBatch(ctx, entity, from, Math.min(ctx.counts[entity], from + 20_000));
          const arrays = columns.map((_, c) => rows.map((r) => (r[c] === null ? null : String(r[c]))));
          await tx.unsafe(`INSERT INTO ${table} (${names}) SELECT * FROM unnest(${params})`, arrays as never[]);
        }
      }
      for (const [i, mode] of modes.entries()) {
        await tx`insert into seed.checkpoints ${tx({
          tenant_id: tenant,
          environment: "dev",
          mode,
          run_id: runId,
          entity: "customers",
          batch_index: i,
          from_ordinal: 0,
          to_ordinal: 10,
          row_count: 10,
          digest: "b".repeat(64),
          manifest_hash: "a".repeat(64),
          key_version: 1,
          reference_datetime: "2025-01-01T00:00:00Z",
        })}`;
      }
    },
    { runId },
  );
  await db.adminSql`update seed.runs set state = 'completed', finished_at = now() where id = ${runId}`;
  const rows: Record<string, number> = {};
  for (const table of BANKING_TABLES) {
    const [r] = await db.adminSql<{ n: number }[]>`
      select count(*)::int as n from ${db.adminSql(`banking.${table}`)} where tenant_id = ${tenant}`;
    rows[table] = r?.n ?? 0;
  }
  return { runId, rows };
}

/** Every row of the tenant, banking tables and checkpoints, as text (superuser; byte comparison). */
export async function snapshotTenant(db: TestDatabase, tenant: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const rel of [...BANKING_TABLES.map((t) => `banking.${t}`), "seed.checkpoints"]) {
    const rows = await db.adminSql<{ row: string }[]>`
      select t::text as row from ${db.adminSql(rel)} t where tenant_id = ${tenant} order by 1`;
    out[rel] = rows.map((r) => r.row);
  }
  return out;
}

/** A `running` purge (or reseed) run of `tenant`, inserted as the superuser. */
export async function purgeRun(db: TestDatabase, tenant: string, operation = "purge", dryRun = false): Promise<string> {
  const id = await runningRun(db, tenant);
  await db.adminSql`update seed.runs set operation = ${operation}, dry_run = ${dryRun} where id = ${id}`;
  return id;
}
