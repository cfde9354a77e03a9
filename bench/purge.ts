#!/usr/bin/env bun
// Purge speed (issue 11): rows deleted per second by `purgeTenant`, on a throwaway database.
//
//   bun bench/purge.ts [--scale 500] [--chunk 20000]
//
// Seeds the small factory dataset of banco-alfa times --scale (≈1,100 rows × scale, mostly
// transactions and installments) and a second tenant of the base size, as the seeder bound to a
// running run, then purges banco-alfa as the seeder bound to a running purge run, in chunks of
// --chunk rows. Prints rows, seconds and rows/s, and checks the other tenant kept its rows.
import { parseArgs } from "node:util";
import { purgeTenant } from "../packages/platform/src/lifecycle/index.ts";
import { createTestDatabase } from "../packages/platform/tests/harness.ts";
import { purgeRun, seedTenant, snapshotTenant } from "../packages/platform/tests/lifecycle/utils.ts";

const { values: args } = parseArgs({
  options: { scale: { type: "string", default: "500" }, chunk: { type: "string", default: "20000" } },
});
const db = await createTestDatabase("bench_purge");
let exitCode = 0;
try {
  const t0 = performance.now();
  const seeded = await seedTenant(db, "banco-alfa", ["baseline"], Number(args.scale));
  await seedTenant(db, "banco-beta");
  const other = await snapshotTenant(db, "banco-beta");
  const total = Object.values(seeded.rows).reduce((a, b) => a + b, 0);
  console.log(`seeded ${total} rows of banco-alfa in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await db.adminSql`vacuum analyze`;
  const runId = await purgeRun(db, "banco-alfa");
  const start = performance.now();
  const result = await purgeTenant({
    sql: db.seederSql,
    runId,
    tenantId: "banco-alfa",
    environment: "dev",
    mode: "baseline",
    chunkRows: Number(args.chunk),
  });
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `purged ${result.rowsDeleted} rows in ${seconds.toFixed(2)} s: ${Math.round(result.rowsDeleted / seconds)} rows/s (chunk ${args.chunk})`,
  );
  const untouched = JSON.stringify(await snapshotTenant(db, "banco-beta")) === JSON.stringify(other);
  console.log(`other tenant untouched: ${untouched}`);
  if (!untouched || result.rowsDeleted !== total + 1) exitCode = 1;
} finally {
  await db.drop();
}
process.exit(exitCode);
