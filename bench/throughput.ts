#!/usr/bin/env bun
// Throughput of the seeding pipeline against raw COPY, on a throwaway database and NATS prefix.
//
//   bun bench/throughput.ts [--mode pipeline|writer] [--scale 16] [--batch-size 10000]
//                           [--seeders 2] [--parallelism 3] [--release level|entity] [--max-messages 1]
//                           [--workers 2] [--path copy|unnest] [--skip-raw]
//
// --mode pipeline (default): starts a Vault-speaking key server, the gateway, the planner and
//   --seeders seeders as real processes (as `semente up` does), submits the perf load manifest
//   divided by --scale (≥ 1,000,000 rows at 16) through the gateway with a minted token, polls
//   until `completed`, and reports committed rows/s over seed.runs' finished_at − started_at (and
//   over the wall time from the POST), each seeder's peak RSS (VmHWM) and its VmRSS range after
//   warm-up, and where the time went.
// --mode writer: the seeder's write path in-process (createBatchWriter, --workers workers, FK level
//   by FK level), without NATS, planner or gateway.
// Both then COPY the same rows as the superuser into RLS-free copies of the tables (indexed:
// `LIKE banking.x INCLUDING ALL`; bare: `LIKE banking.x`), timing only the COPY, and print the
// ratios. Everything is stopped and the database dropped at the end, also on failure.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { COMMON_VARS, loadConfig } from "../packages/platform/src/config/index.ts";
import {
  createSql,
  dropDatabase,
  MIGRATIONS_DIR,
  migrate,
  type Sql,
  setupDatabase,
} from "../packages/platform/src/db/index.ts";
import { createVaultTransitKeyProvider } from "../packages/platform/src/keys/index.ts";
import { manifestHash, plannedRows } from "../packages/core/src/manifest/index.ts";
import { WritePath } from "../packages/platform/src/pipeline/index.ts";
import { startVaultServer } from "../packages/platform/tests/keys/vault-server.ts";
import { benchManifest, roleUrls } from "./throughput-manifest.ts";
import { PIPELINE_ARGS, pipelineEnv, runPipeline } from "./throughput-pipeline.ts";
import { profileRun } from "./throughput-profile.ts";
import { rawCopy } from "./throughput-raw-copy.ts";
import { countCollections, formatCpu } from "./throughput-stack.ts";
import { runWriter } from "./throughput-writer.ts";

const { values: args } = parseArgs({
  options: {
    ...PIPELINE_ARGS,
    mode: { type: "string", default: "pipeline" },
    workers: { type: "string", default: "2" },
    "skip-raw": { type: "boolean", default: false },
  },
});
if (args.mode !== "pipeline" && args.mode !== "writer") throw new Error("--mode must be pipeline or writer");
const batchSize = Number(args["batch-size"]);
const manifest = benchManifest({ scale: Number(args.scale), batchSize });
const hash = manifestHash(manifest);
const planned = plannedRows(manifest);
const fmt = (n: number) => Math.round(n).toLocaleString("en");
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

const admin = loadConfig({ ADMIN_DATABASE_URL: COMMON_VARS.ADMIN_DATABASE_URL }).ADMIN_DATABASE_URL;
const database = `semente_bench_${process.pid}`;
const urls = roleUrls(admin, database);
const vault = startVaultServer();
vault.createKey(`semente-fpe-${manifest.metadata.environment}-${manifest.metadata.tenant}`);
const keys = createVaultTransitKeyProvider({ endpoint: vault.url, token: vault.token });
const pools: Sql[] = [];
const pool = (url: string, max: number) => {
  const sql = createSql(url, { max, applicationName: "semente-bench" });
  pools.push(sql);
  return sql;
};
let exitCode = 0;
// Ctrl-C or a kill: the phase in progress stops at its next check and the finally below cleans up.
const interrupt = new AbortController();
process.on("SIGINT", () => interrupt.abort());
process.on("SIGTERM", () => interrupt.abort());

try {
  await dropDatabase(admin, database);
  await setupDatabase({ adminUrl: admin, database });
  const owner = pool(urls.owner, 2);
  const superuser = pool(urls.admin, 2);
  await migrate(owner, { dir: MIGRATIONS_DIR });
  console.log(
    `manifest: perf/${manifest.metadata.tenant} load, ${fmt(planned.total)} rows, batch_size ${batchSize}, mode ${args.mode}`,
  );

  let rate: number;
  if (args.mode === "pipeline") {
    console.log(
      `pipeline: gateway + planner (PLANNER_PARALLELISM ${args.parallelism}, PLANNER_RELEASE ${args.release}) + ${args.seeders} seeders (SEEDER_MAX_MESSAGES ${args["max-messages"]}, SEEDER_WRITE_PATH ${args.path}) as processes`,
    );
    const result = await runPipeline({
      manifest,
      urls,
      superuser,
      vault,
      seeders: Number(args.seeders),
      env: pipelineEnv(args),
      timeoutMs: Number(args["timeout-s"]) * 1000,
      signal: interrupt.signal,
    });
    rate = result.rows / result.runSeconds;
    console.log(
      `pipeline: ${fmt(result.rows)} rows committed in ${result.runSeconds.toFixed(1)} s (seed.runs finished_at − started_at) → ${fmt(rate)} rows/s`,
    );
    console.log(
      `pipeline: wall time POST → completed ${result.wallSeconds.toFixed(1)} s → ${fmt(result.rows / result.wallSeconds)} rows/s`,
    );
    for (const { name, report } of result.memory) {
      const flat =
        report.samples === 0
          ? "no samples after warm-up"
          : `${mib(report.warmMin)} – ${mib(report.warmMax)} over ${report.samples} samples (mean ${mib(report.firstThird)} in the first third, ${mib(report.lastThird)} in the last)`;
      const collections = countCollections(join(result.logDir, `${name}.log`));
      console.log(
        `${name}: peak RSS (VmHWM) ${mib(report.peak)}; VmRSS after warm-up ${flat}; ${collections} collections past SEEDER_GC_RSS_MIB`,
      );
    }
    console.log(formatCpu(result.cpu, result.rows));
    const profile = await profileRun(superuser, result.runId, result.done);
    console.log(
      `profile: per batch ${profile.queueWait.toFixed(2)} s queued, ${profile.generation.toFixed(2)} s generation+lookups, ${profile.transaction.toFixed(2)} s transaction; seeders busy ${(profile.utilization * 100).toFixed(0)} %, no batch in hand for ${profile.allIdle.toFixed(1)} s`,
    );
    for (const e of profile.entities) {
      console.log(
        `  ${e.entity.padEnd(24)} ${e.start.toFixed(1).padStart(6)} s → ${e.end.toFixed(1).padStart(6)} s  ${e.batches} batches`,
      );
    }
    console.log(`logs: ${result.logDir}`);
  } else {
    const seeder = pool(urls.seeder, Number(args.workers) + 2);
    const result = await runWriter({
      owner,
      seeder,
      keys,
      manifest,
      manifestHash: hash,
      workers: Number(args.workers),
      path: args.path === WritePath.unnest ? WritePath.unnest : WritePath.copy,
    });
    rate = result.rows / result.seconds;
    console.log(
      `writer (in-process, ${args.workers} workers, path ${args.path}): ${fmt(result.rows)} rows in ${result.batches} batches, ${result.seconds.toFixed(1)} s → ${fmt(rate)} rows/s committed (${result.retries} retries); peak RSS ${mib(result.peakRss)}`,
    );
  }

  if (!args["skip-raw"]) {
    const raw = await rawCopy({
      superuser,
      manifest,
      manifestHash: hash,
      fpeKey: await keys.deriveFpeKey(
        { environment: manifest.metadata.environment, tenant: manifest.metadata.tenant },
        manifest.key_version,
      ),
      batchSize,
      signal: interrupt.signal,
    });
    const indexed = raw.rows / raw.indexed;
    const bare = raw.rows / raw.bare;
    console.log(
      `raw COPY as superuser, INCLUDING ALL copies (indexes + CHECKs, no RLS, no FKs): ${raw.indexed.toFixed(1)} s → ${fmt(indexed)} rows/s`,
    );
    console.log(
      `raw COPY as superuser, bare copies (LIKE only: no indexes, no RLS, no FKs):       ${raw.bare.toFixed(1)} s → ${fmt(bare)} rows/s`,
    );
    console.log(`ratio ${args.mode} / raw COPY INCLUDING ALL: ${(rate / indexed).toFixed(2)} (target ≥ 0.9, issue 13)`);
    console.log(`ratio ${args.mode} / raw COPY bare:          ${(rate / bare).toFixed(2)}`);
  }
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await vault.stop();
  await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
  await dropDatabase(admin, database);
}
process.exit(exitCode);
