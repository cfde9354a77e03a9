#!/usr/bin/env bun
// Release pacing of one run across its seeders (issue 12 item 1, docs/adr/0004-planner-paced-release.md).
//
//   bun bench/pacing.ts [--target 2000] [--cap 2500] [--seconds 60] [--seeders 2] [--batch-size 1000]
//
// Starts gateway, planner and --seeders seeders as real processes on a throwaway database and NATS
// prefix, submits the perf load manifest scaled to about target × seconds rows with the given
// rate_limit, and prints, from seed.checkpoints (commit time and rows of every batch), the rows
// committed in each 10 s window, the busiest sliding 10 s window against cap × 10, and the mean
// rate against the target.
import { parseArgs } from "node:util";
import { plannedRows } from "../packages/core/src/manifest/index.ts";
import { PACING_WINDOW_MS } from "../packages/core/src/pipeline/index.ts";
import { startVaultServer } from "../packages/platform/tests/keys/vault-server.ts";
import { createBenchDatabase } from "./bench-database.ts";
import { benchManifest } from "./throughput-manifest.ts";
import { runPipeline } from "./throughput-pipeline.ts";

const { values: args } = parseArgs({
  options: {
    target: { type: "string", default: "2000" },
    cap: { type: "string", default: "2500" },
    seconds: { type: "string", default: "60" },
    seeders: { type: "string", default: "2" },
    "batch-size": { type: "string", default: "1000" },
  },
});
const target = Number(args.target);
const cap = Number(args.cap);
const batchSize = Number(args["batch-size"]);
const wanted = target * Number(args.seconds);
const full = plannedRows(benchManifest({ scale: 1, batchSize })).total;
const base = benchManifest({ scale: Math.max(1, Math.round(full / wanted)), batchSize });
const manifest = {
  ...base,
  rate_limit: { ...base.rate_limit, target_rows_per_second: target, cap_rows_per_second: cap },
};
const total = plannedRows(manifest).total;

const vault = startVaultServer();
vault.createKey(`semente-fpe-${manifest.metadata.environment}-${manifest.metadata.tenant}`);
let exitCode = 0;
const db = await createBenchDatabase(`semente_pacing_${process.pid}`);
const { urls, superuser } = db;
try {
  console.log(
    `manifest: perf load, ${total.toLocaleString("en")} rows, batch_size ${batchSize}, target ${target} rows/s, cap ${cap} rows/s, ${args.seeders} seeders`,
  );
  const result = await runPipeline({
    manifest,
    urls,
    superuser,
    vault,
    seeders: Number(args.seeders),
    env: { PLANNER_RELEASE: "entity", PLANNER_PARALLELISM: "3" },
    timeoutMs: 20 * 60_000,
  });
  const commits = await superuser<{ at: number; rows: number }[]>`
    SELECT (extract(epoch FROM committed_at) * 1000)::float8 AS at, row_count::int AS rows
      FROM seed.checkpoints WHERE run_id = ${result.runId} ORDER BY committed_at`;
  const first = commits[0]?.at ?? 0;
  const last = commits.at(-1)?.at ?? first;
  const windows: number[] = [];
  for (const c of commits) {
    const w = Math.floor((c.at - first) / PACING_WINDOW_MS);
    windows[w] = (windows[w] ?? 0) + c.rows;
  }
  windows.forEach((rows, i) => {
    const label = `${String(i * 10).padStart(4)}–${String((i + 1) * 10).padEnd(4)} s`;
    console.log(
      `window ${label} ${String(rows ?? 0).padStart(7)} rows  ${((rows ?? 0) / 10).toFixed(0).padStart(6)} rows/s`,
    );
  });
  let busiest = 0;
  for (const start of commits) {
    let sum = 0;
    for (const c of commits) if (c.at >= start.at && c.at < start.at + PACING_WINDOW_MS) sum += c.rows;
    busiest = Math.max(busiest, sum);
  }
  const mean = result.rows / ((last - first) / 1000);
  console.log(
    `busiest sliding 10 s window: ${busiest} rows (${(busiest / 10).toFixed(0)} rows/s) vs cap ${cap * 10} rows → ${busiest <= cap * 10 ? "under the cap" : "OVER THE CAP"}`,
  );
  console.log(
    `mean rate first → last commit: ${mean.toFixed(0)} rows/s (${(((mean - target) / target) * 100).toFixed(1)} % vs target); run ${result.runSeconds.toFixed(1)} s`,
  );
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await vault.stop();
  await db.drop();
}
process.exit(exitCode);
