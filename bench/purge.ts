#!/usr/bin/env bun
// Purge speed (issue 11): rows deleted per second, on a throwaway database.
//
//   bun bench/purge.ts [--scale 500] [--chunk 20000] [--run]
//
// Seeds the small factory dataset of banco-alfa times --scale (≈1,100 rows × scale, mostly
// transactions and installments) and a second tenant of the base size, as the seeder bound to a
// running run, then purges banco-alfa in chunks of --chunk rows and checks the other tenant kept
// its rows. Without --run: `purgeTenant` as the seeder bound to a running purge run (the library).
// With --run: the run path — a purge run submitted like the gateway does (`submitPurgeRun`),
// admitted, executed by a planner, its purge phase handled by the seeder's purge handler (both in
// this process, over real NATS and PostgreSQL), timed from submission to `completed`, and from
// admission to the database closing the purge phase.
import { parseArgs } from "node:util";
import { purgeTenant, submitPurgeRun } from "../packages/platform/src/lifecycle/index.ts";
import { createTestDatabase, type TestDatabase } from "../packages/platform/tests/harness.ts";
import { purgeRun, seedTenant, snapshotTenant } from "../packages/platform/tests/lifecycle/utils.ts";
import {
  createPlannerTestEnv,
  startInProcessSeeder,
  startTestPlanner,
  waitForRun,
} from "../services/planner/tests/utils.ts";

const { values: args } = parseArgs({
  options: {
    scale: { type: "string", default: "500" },
    chunk: { type: "string", default: "20000" },
    run: { type: "boolean", default: false },
  },
});
const chunkRows = Number(args.chunk);

async function seed(db: TestDatabase): Promise<{ total: number; other: Record<string, string[]> }> {
  const t0 = performance.now();
  const seeded = await seedTenant(db, "banco-alfa", ["baseline"], Number(args.scale));
  await seedTenant(db, "banco-beta");
  const total = Object.values(seeded.rows).reduce((a, b) => a + b, 0);
  console.log(`seeded ${total} rows of banco-alfa in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // The seeding runs end here, as a seed run would: a purge run is refused while a run holds the tenant.
  await db.adminSql`update seed.runs set state = 'completed', finished_at = now() where state = 'running'`;
  await db.adminSql`vacuum analyze`;
  return { total, other: await snapshotTenant(db, "banco-beta") };
}

async function viaLibrary(): Promise<boolean> {
  const db = await createTestDatabase("bench_purge");
  try {
    const { total, other } = await seed(db);
    const runId = await purgeRun(db, "banco-alfa");
    const start = performance.now();
    const result = await purgeTenant({
      sql: db.seederSql,
      runId,
      tenantId: "banco-alfa",
      environment: "dev",
      mode: "baseline",
      chunkRows,
    });
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `purged ${result.rowsDeleted} rows in ${seconds.toFixed(2)} s: ${Math.round(result.rowsDeleted / seconds)} rows/s (chunk ${chunkRows})`,
    );
    const untouched = JSON.stringify(await snapshotTenant(db, "banco-beta")) === JSON.stringify(other);
    console.log(`other tenant untouched: ${untouched}`);
    return untouched && result.rowsDeleted === total + 1;
  } finally {
    await db.drop();
  }
}

async function viaRun(): Promise<boolean> {
  const env = await createPlannerTestEnv("bench_purge_run", ["banco-alfa", "banco-beta"]);
  // Seeded before the planner starts: it would otherwise take over the seeding runs as its own.
  const { total, other } = await seed(env.db);
  const planner = await startTestPlanner(env);
  const seeder = startInProcessSeeder(env, planner.names, { purgeChunkRows: chunkRows, modes: ["baseline"] });
  try {
    const start = performance.now();
    const decision = await submitPurgeRun(
      { sql: env.db.appSql, admission: env.admission, now: () => new Date() },
      { tenantId: "banco-alfa", environment: "dev", mode: "baseline", principal: "bench" },
    );
    const done = await waitForRun(
      env.db.appSql,
      decision.run.id,
      (s) => s !== "admitted" && s !== "planning" && s !== "running",
      3_600_000,
    );
    const seconds = (performance.now() - start) / 1000;
    const [row] = await env.db.adminSql<{ rows_deleted: string; phase_s: number }[]>`
      select rows_deleted::text, extract(epoch from purged_at - started_at)::float8 as phase_s
        from seed.runs where id = ${decision.run.id}`;
    const deleted = Number(row?.rows_deleted ?? 0);
    console.log(
      `purge run ${done.state}: ${deleted} rows (and checkpoints) in ${seconds.toFixed(2)} s submit→completed: ${Math.round(deleted / seconds)} rows/s; admission→phase closed ${row?.phase_s.toFixed(2)} s: ${Math.round(deleted / (row?.phase_s ?? 1))} rows/s (chunk ${chunkRows})`,
    );
    const untouched = JSON.stringify(await snapshotTenant(env.db, "banco-beta")) === JSON.stringify(other);
    console.log(`other tenant untouched: ${untouched}`);
    return done.state === "completed" && untouched && deleted === total + 1;
  } finally {
    await seeder.stop();
    await planner.stop();
    await env.cleanup();
  }
}

const ok = args.run ? await viaRun() : await viaLibrary();
process.exit(ok ? 0 : 1);
