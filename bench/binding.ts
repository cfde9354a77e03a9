#!/usr/bin/env bun
// Cost of the run-bound tenant context (issue 10 §4) on a bulk load, on a throwaway database.
//
//   bun bench/binding.ts [--rows 1000000] [--repeat 3]
//
// Four copies of one narrow table (id, tenant_id, payload), each under FORCE RLS with a different
// policy for semente_seeder, loaded by one `INSERT … SELECT generate_series` of --rows rows and
// then counted, as the seeder, in a transaction bound by seed.bind_run_tenant:
//   none      — RLS disabled (the floor);
//   setting   — `tenant_id = current_setting('app.tenant_id', true)`, the policy before issue 10;
//   bound     — `tenant_id = (SELECT seed.bound_tenant())`, the policy of 0051 (an InitPlan);
//   per-row   — `tenant_id = seed.bound_tenant()`, the same check without the sub-select.
// Prints the median of --repeat loads and counts per variant, and the ratio to `setting`.
import { parseArgs } from "node:util";
import { DbRole, withTenant } from "../packages/platform/src/db/index.ts";
import { createTestDatabase, runningRun } from "../packages/platform/tests/harness.ts";

const { values: args } = parseArgs({
  options: { rows: { type: "string", default: "1000000" }, repeat: { type: "string", default: "3" } },
});
const rows = Number(args.rows);
const repeat = Number(args.repeat);
const TENANT = "bench-tenant";
const VARIANTS = {
  none: null,
  setting: "tenant_id = current_setting('app.tenant_id', true)",
  bound: "tenant_id = (SELECT seed.bound_tenant())",
  "per-row": "tenant_id = seed.bound_tenant()",
} as const;
type Variant = keyof typeof VARIANTS;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
let exitCode = 0;

// A throwaway migrated database with one pool per role (the test harness), dropped at the end.
const db = await createTestDatabase("bench_binding");
const { ownerSql: owner, seederSql: seeder, adminSql: superuser } = db;
try {
  const runId = await runningRun(db, TENANT, "perf");
  for (const [name, predicate] of Object.entries(VARIANTS)) {
    const table = `seed.bench_${name.replace("-", "_")}`;
    await owner.unsafe(`CREATE TABLE ${table} (id bigint PRIMARY KEY, tenant_id text NOT NULL, payload text NOT NULL)`);
    await owner.unsafe(`GRANT SELECT, INSERT ON ${table} TO ${DbRole.SEEDER}`);
    if (predicate !== null) {
      await owner.unsafe(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await owner.unsafe(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await owner.unsafe(
        `CREATE POLICY p ON ${table} FOR ALL TO ${DbRole.SEEDER} USING (${predicate}) WITH CHECK (${predicate})`,
      );
    }
  }
  console.log(`${rows.toLocaleString("en")} rows per load, median of ${repeat}, as ${DbRole.SEEDER} bound to a run`);
  const results = new Map<Variant, { load: number; count: number }>();
  for (const name of Object.keys(VARIANTS) as Variant[]) {
    const table = `seed.bench_${name.replace("-", "_")}`;
    const loads: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < repeat; i++) {
      await superuser.unsafe(`TRUNCATE ${table}`);
      await withTenant(
        seeder,
        TENANT,
        async (tx) => {
          let t = performance.now();
          await tx.unsafe(
            `INSERT INTO ${table} SELECT g, '${TENANT}', md5(g::text) FROM generate_series(1, ${rows}) AS g`,
          );
          loads.push(performance.now() - t);
          t = performance.now();
          const [row] = await tx.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM ${table}`);
          counts.push(performance.now() - t);
          if (Number(row?.n) !== rows) throw new Error(`${name}: counted ${row?.n} rows, expected ${rows}`);
        },
        { runId },
      );
    }
    results.set(name, { load: median(loads), count: median(counts) });
  }
  const base = results.get("setting") as { load: number; count: number };
  for (const [name, r] of results) {
    console.log(
      `${name.padEnd(8)} load ${(r.load / 1000).toFixed(2)} s (${Math.round(rows / (r.load / 1000)).toLocaleString("en")} rows/s, ×${(r.load / base.load).toFixed(2)})  count ${r.count.toFixed(0)} ms (×${(r.count / base.count).toFixed(2)})`,
    );
  }
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await db.drop();
}
process.exit(exitCode);
