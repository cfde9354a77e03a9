#!/usr/bin/env bun
// Regeneration after a purge, against the first seeding of the same rows: seeds the perf
// profile ÷ scale in `dr` mode through the planner and the seeders (processes, over NATS), purges
// the tenant (a purge run), seeds it again, and prints each phase's rate and the serialization
// retries the seeders logged in each seeding. Every reseed, DR drill and load re-run writes into
// tables a purge has just emptied; this bench shows whether that costs more than a first seeding.
//
//   bun bench/regenerate.ts [--scale 16] [--seeders 2] [--parallelism 3]
import { join } from "node:path";
import { parseArgs } from "node:util";
import { plannedRows } from "../packages/core/src/manifest/index.ts";
import { startVaultServer } from "../packages/platform/tests/keys/vault-server.ts";
import { createBenchDatabase } from "./bench-database.ts";
import { drBenchManifest, startDrStack, waitRun } from "./dr-stack.ts";
import { countLogLines } from "./throughput-stack.ts";

const { values: args } = parseArgs({
  options: {
    scale: { type: "string", default: "16" },
    seeders: { type: "string", default: "2" },
    parallelism: { type: "string", default: "3" },
  },
});
const manifest = drBenchManifest(Number(args.scale), 10_000);
const rows = plannedRows(manifest).total;
const fmt = (n: number) => Math.round(n).toLocaleString("en");

const db = await createBenchDatabase(`semente_bench_regen_${process.pid}`);
const vault = startVaultServer();
vault.createKey(`semente-fpe-perf-${manifest.metadata.tenant}`);
vault.createKey("semente-evidence-perf", "ed25519");
let exitCode = 0;
try {
  const stack = await startDrStack({
    urls: db.urls,
    vault,
    seeders: Number(args.seeders),
    env: { PLANNER_PARALLELISM: args.parallelism },
  });
  /** `batch retry` lines of serialization failures (SQLSTATE 40001) the seeders have logged so far. */
  const retries = () =>
    stack.services
      .filter((s) => s.name.startsWith("seeder"))
      .reduce(
        (sum, s) => sum + countLogLines(join(stack.logDir, `${s.name}.log`), '"batch retry"', '"code":"40001"'),
        0,
      );
  try {
    console.log(
      `regenerate bench: perf profile ÷ ${args.scale} in dr mode, ${fmt(rows)} rows, ${args.seeders} seeders`,
    );
    for (const [phase, operation] of [
      ["seed", "seed"],
      ["purge", "purge"],
      ["seed after the purge", "seed"],
    ] as const) {
      const before = retries();
      const started = performance.now();
      const id = await stack.submit(manifest, operation);
      const run = await waitRun(stack, id, 3_600_000, new AbortController().signal);
      const seconds = (performance.now() - started) / 1000;
      if (run.state !== "completed") throw new Error(`${phase}: run ${id} ended ${run.state} (${run.reason})`);
      const retried = operation === "seed" ? `, ${retries() - before} serialization retries` : "";
      console.log(`${phase.padEnd(21)} ${seconds.toFixed(1)} s, ${fmt(rows / seconds)} rows/s${retried}`);
    }
  } finally {
    await stack.stop();
  }
} catch (error) {
  exitCode = 1;
  console.error(`bench failed: ${(error as Error).message}`);
} finally {
  await vault.stop();
  await db.drop();
}
process.exit(exitCode);
