#!/usr/bin/env bun
// The faker+COPY peer (bench/peer-faker.ts) against the whole pipeline, on the same manifest and
// the same PostgreSQL server, one after the other, each on its own fresh migrated database.
//
//   bun bench/compare.ts [--scale 16] [--batch-size 10000] [--seeders 2] [--parallelism 3]
//                        [--release level|entity] [--max-messages 1] [--path copy|unnest] [--repeat 1]
//
// Prints both rates and their ratio per repetition, and the medians when --repeat > 1. The peer's
// rate is its rows over the wall time of its 13 COPY streams (generation included, as the script
// runs); the pipeline's is committed rows over seed.runs' finished_at − started_at. Each side
// starts after a CHECKPOINT, so neither pays for the other's dirty pages or WAL, and the sides
// alternate which goes first (odd repetitions: the peer), so neither always runs on a server the
// other has just warmed or loaded. The WAL each side generated (the server's, per row) is printed too.
import { parseArgs } from "node:util";
import { COMMON_VARS, loadConfig } from "../packages/platform/src/config/index.ts";
import {
  BANKING_TABLES,
  createSql,
  dropDatabase,
  MIGRATIONS_DIR,
  migrate,
  type Sql,
  setupDatabase,
} from "../packages/platform/src/db/index.ts";
import { plannedRows } from "../packages/core/src/manifest/index.ts";
import { startVaultServer } from "../packages/platform/tests/keys/vault-server.ts";
import { runPeer } from "./peer-faker.ts";
import { benchManifest, roleUrls } from "./throughput-manifest.ts";
import { PIPELINE_ARGS, pipelineEnv, runPipeline } from "./throughput-pipeline.ts";
import { formatCpu, sampleCpu } from "./throughput-stack.ts";

const { values: args } = parseArgs({
  options: {
    ...PIPELINE_ARGS,
    repeat: { type: "string", default: "1" },
  },
});
const manifest = benchManifest({ scale: Number(args.scale), batchSize: Number(args["batch-size"]) });
const planned = plannedRows(manifest).total;
const fmt = (n: number) => Math.round(n).toLocaleString("en");
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const admin = loadConfig({ ADMIN_DATABASE_URL: COMMON_VARS.ADMIN_DATABASE_URL }).ADMIN_DATABASE_URL;
const interrupt = new AbortController();
process.on("SIGINT", () => interrupt.abort());
process.on("SIGTERM", () => interrupt.abort());

/** A fresh migrated database for one side; `use` gets the role URLs and a superuser pool. */
async function withDatabase<T>(
  suffix: string,
  use: (urls: ReturnType<typeof roleUrls>, superuser: Sql) => Promise<T>,
): Promise<T> {
  const database = `semente_cmp_${process.pid}_${suffix}`;
  const urls = roleUrls(admin, database);
  await dropDatabase(admin, database);
  await setupDatabase({ adminUrl: admin, database });
  const owner = createSql(urls.owner, { max: 1, applicationName: "semente-compare" });
  const superuser = createSql(urls.admin, { max: 2, applicationName: "semente-compare" });
  try {
    await migrate(owner, { dir: MIGRATIONS_DIR });
    // Flush what earlier work left dirty: the side starts on a clean server.
    await superuser`CHECKPOINT`;
    return await use(urls, superuser);
  } finally {
    await owner.end({ timeout: 5 });
    await superuser.end({ timeout: 5 });
    await dropDatabase(admin, database);
  }
}

/** The server's WAL position, in bytes. */
async function walBytes(sql: Sql): Promise<number> {
  const [row] = await sql<{ lsn: string }[]>`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS lsn`;
  return Number(row?.lsn ?? 0);
}

/** Rows actually in the banking tables (both sides are checked, not trusted). */
async function countRows(sql: Sql): Promise<number> {
  let total = 0;
  for (const table of BANKING_TABLES) {
    const [row] = await sql.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM banking.${table}`);
    total += Number(row?.n ?? 0);
  }
  return total;
}

/** The peer on its own database; returns its rate. */
async function peerSide(rep: number): Promise<number> {
  const peer = await withDatabase("peer", async (_urls, superuser) => {
    const cpu = sampleCpu(superuser, [{ name: "peer", pid: process.pid }]);
    const wal = await walBytes(superuser);
    const result = await runPeer(superuser, manifest);
    const walPerRow = ((await walBytes(superuser)) - wal) / result.rows;
    console.log(`[${rep}] peer ${formatCpu(await cpu.stop(), result.rows)}; WAL ${walPerRow.toFixed(0)} bytes/row`);
    const counted = await countRows(superuser);
    if (counted !== planned) throw new Error(`peer left ${counted} rows, expected ${planned}`);
    return result;
  });
  const peerRate = peer.rows / peer.seconds;
  const slowest = [...peer.perEntity].sort((a, b) => b.seconds - a.seconds).slice(0, 4);
  console.log(
    `[${rep}] peer (faker pt_BR + COPY per table, superuser): ${fmt(peer.rows)} rows in ${peer.seconds.toFixed(1)} s → ${fmt(peerRate)} rows/s (${slowest.map((e) => `${e.entity} ${e.seconds.toFixed(1)} s`).join(", ")})`,
  );
  return peerRate;
}

/** The whole pipeline on its own database; returns its rate. */
async function pipelineSide(rep: number): Promise<number> {
  let wal = 0;
  const pipeline = await withDatabase("pipeline", async (urls, superuser) => {
    const vault = startVaultServer();
    try {
      vault.createKey(`semente-fpe-${manifest.metadata.environment}-${manifest.metadata.tenant}`);
      wal = await walBytes(superuser);
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
      wal = (await walBytes(superuser)) - wal;
      const counted = await countRows(superuser);
      if (counted !== planned) throw new Error(`pipeline left ${counted} rows, expected ${planned}`);
      return result;
    } finally {
      await vault.stop();
    }
  });
  const pipelineRate = pipeline.rows / pipeline.runSeconds;
  console.log(
    `[${rep}] pipeline ${formatCpu(pipeline.cpu, pipeline.rows)}; WAL ${(wal / pipeline.rows).toFixed(0)} bytes/row (the whole run)`,
  );
  const rss = pipeline.memory.map(({ name, report }) => `${name} ${(report.peak / 2 ** 20).toFixed(0)} MiB`).join(", ");
  console.log(
    `[${rep}] pipeline (gateway, planner, ${args.seeders} seeders; RLS, SERIALIZABLE, checkpoints): ${fmt(pipeline.rows)} rows in ${pipeline.runSeconds.toFixed(1)} s → ${fmt(pipelineRate)} rows/s; peak RSS ${rss}`,
  );
  return pipelineRate;
}

console.log(`manifest: perf/${manifest.metadata.tenant} load, ${fmt(planned)} rows, batch_size ${args["batch-size"]}`);
const peerRates: number[] = [];
const pipelineRates: number[] = [];
let exitCode = 0;
try {
  for (let rep = 1; rep <= Number(args.repeat); rep++) {
    const peerFirst = rep % 2 === 1;
    const first = peerFirst ? await peerSide(rep) : await pipelineSide(rep);
    if (interrupt.signal.aborted) throw new Error("interrupted");
    const second = peerFirst ? await pipelineSide(rep) : await peerSide(rep);
    const [peerRate, pipelineRate] = peerFirst ? [first, second] : [second, first];
    peerRates.push(peerRate);
    pipelineRates.push(pipelineRate);
    console.log(`[${rep}] ratio pipeline / peer: ${(pipelineRate / peerRate).toFixed(2)} (target ≥ 1.5)`);
  }
  if (peerRates.length > 1) {
    console.log(
      `median of ${peerRates.length}: peer ${fmt(median(peerRates))} rows/s (${peerRates.map(fmt).join(", ")}), pipeline ${fmt(median(pipelineRates))} rows/s (${pipelineRates.map(fmt).join(", ")}), ratio ${(median(pipelineRates) / median(peerRates)).toFixed(2)}`,
    );
  }
} catch (error) {
  console.error(`compare failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
}
process.exit(exitCode);
