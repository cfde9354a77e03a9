#!/usr/bin/env bun
// Throughput of the seeder's write path against raw COPY, on a throwaway database.
//
//   bun bench/throughput.ts [--scale 16] [--workers 2] [--path unnest|copy] [--batch-size 5000]
//
// 1. Seeds a load manifest (the perf profile divided by --scale: ≥ 1,000,000 rows at 16) through
//    the real write path — createBatchWriter as semente_seeder under RLS, SERIALIZABLE batches with
//    their checkpoints — with --workers concurrent workers, FK level by FK level (planBatches).
// 2. In the same run, COPYs the same rows as the superuser into RLS-free copies of the tables
//    (`CREATE TABLE bench.x (LIKE banking.x INCLUDING ALL)`: same indexes and CHECKs, no FKs,
//    no RLS) and into bare copies (`LIKE banking.x`: no indexes), timing only the COPY.
// 3. Prints committed rows/s, raw COPY rows/s, the ratios and the peak RSS of the write phase.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { COMMON_VARS, loadConfig } from "../packages/shared/src/config/index.ts";
import {
  createSql,
  DbRole,
  dropDatabase,
  MIGRATIONS_DIR,
  migrate,
  setupDatabase,
} from "../packages/shared/src/db/index.ts";
import { ENTITY_TABLES, generateBatch, createGenerationContext } from "../packages/shared/src/factories/index.ts";
import { createVaultTransitKeyProvider } from "../packages/shared/src/keys/index.ts";
import {
  ENTITIES,
  type Entity,
  type Manifest,
  manifestHash,
  parseManifest,
  plannedRows,
  type VolumetryEntity,
  VOLUMETRY_ENTITIES,
} from "../packages/shared/src/manifest/index.ts";
import {
  type BatchMessage,
  copyText,
  createBatchWriter,
  DEFAULT_WRITE_PATH,
  planBatches,
  WritePath,
} from "../packages/shared/src/pipeline/index.ts";
import { startVaultServer } from "../packages/shared/tests/keys/vault-server.ts";

const { values: args } = parseArgs({
  options: {
    scale: { type: "string", default: "16" },
    workers: { type: "string", default: "2" },
    path: { type: "string", default: DEFAULT_WRITE_PATH },
    "batch-size": { type: "string", default: "5000" },
  },
});
const scale = Number(args.scale);
const workers = Number(args.workers);
const path = args.path === WritePath.unnest ? WritePath.unnest : WritePath.copy;
const batchSize = Number(args["batch-size"]);

/** The perf load profile with every count divided by `scale` (caps follow). */
function benchManifest(): Manifest {
  const text = readFileSync(join(import.meta.dir, "../configs/seed_profiles/perf/banco-alfa.yaml"), "utf8");
  const base = parseManifest(text).manifest;
  const volumetry = structuredClone(base.volumetry);
  for (const entity of VOLUMETRY_ENTITIES as readonly VolumetryEntity[]) {
    const v = volumetry[entity];
    v.count = entity === "account_categories" ? v.count : Math.max(1, Math.round(v.count / scale));
    v.cap = Math.max(v.cap, v.count);
  }
  return { ...base, volumetry, batch_size: batchSize, metadata: { ...base.metadata, version: "1.0.0-bench" } };
}

function urlFor(base: string, user: string, database: string): string {
  const u = new URL(base);
  u.username = user;
  u.password = "";
  u.pathname = `/${database}`;
  return u.toString();
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 100);

const admin = loadConfig({ ADMIN_DATABASE_URL: COMMON_VARS.ADMIN_DATABASE_URL }).ADMIN_DATABASE_URL;
const database = `semente_bench_${process.pid}`;
await dropDatabase(admin, database);
await setupDatabase({ adminUrl: admin, database });
const owner = createSql(urlFor(admin, DbRole.OWNER, database), { max: 2 });
const seeder = createSql(urlFor(admin, DbRole.SEEDER, database), {
  max: workers + 2,
  applicationName: "semente-bench",
});
const superuser = createSql(urlFor(admin, new URL(admin).username || "postgres", database), { max: 2 });
const vault = startVaultServer();
vault.createKey("semente-fpe-perf-banco-alfa");
const keys = createVaultTransitKeyProvider({ endpoint: vault.url, token: vault.token });

try {
  await migrate(owner, { dir: MIGRATIONS_DIR });
  const manifest = benchManifest();
  const hash = manifestHash(manifest);
  const planned = plannedRows(manifest);
  const runId = crypto.randomUUID();
  await owner`
    INSERT INTO seed.runs (id, environment, tenant_id, mode, dry_run, state, manifest_hash, manifest_version, manifest,
      reference_datetime, key_version, principal, started_at)
    VALUES (${runId}, 'perf', 'banco-alfa', 'load', false, 'running', ${hash.slice(7)}, ${manifest.metadata.version},
      ${owner.json(manifest as never)}, ${manifest.reference_datetime}, ${manifest.key_version}, 'bench', now())`;
  console.log(
    `manifest: ${planned.total.toLocaleString("en")} rows, batch_size ${batchSize}, ${workers} workers, path ${path}`,
  );

  // Phase 1: the write path, level by level of the FK plan (parents committed before children),
  // `workers` batches of the level in flight — how the planner releases load/DR batches.
  let retries = 0;
  const writer = createBatchWriter({
    sql: seeder,
    keys,
    path,
    retry: { attempts: 8, onRetry: () => retries++ },
  });
  const plan = planBatches(manifest);
  let committed = 0;
  const t0 = performance.now();
  for (let level = 0; level <= Math.max(...plan.batches.map((b) => b.level)); level++) {
    const queue: BatchMessage[] = plan.batches
      .filter((b) => b.level === level)
      .map((b) => ({
        v: 1,
        runId,
        environment: "perf",
        tenant: "banco-alfa",
        mode: "load",
        dryRun: false,
        manifestHash: hash,
        keyVersion: manifest.key_version,
        entity: b.entity,
        batchIndex: b.batchIndex,
        level: b.level,
        planIndex: b.planIndex,
        from: b.from,
        to: b.to,
      }));
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let msg = queue.shift(); msg !== undefined; msg = queue.shift()) {
          const result = await writer.write(msg, { attempt: 1 });
          if (result.outcome !== "committed")
            throw new Error(`batch ${msg.entity}:${msg.batchIndex} ${result.outcome}`);
          committed += result.checkpoint.rows;
        }
      }),
    );
  }
  const batches = plan.batches.length;
  const pipelineS = (performance.now() - t0) / 1000;
  const pipelineRss = peakRss;
  const pipelineRate = committed / pipelineS;
  console.log(
    `pipeline: ${committed.toLocaleString("en")} rows in ${batches} batches, ${pipelineS.toFixed(1)} s → ${Math.round(pipelineRate).toLocaleString("en")} rows/s committed (${retries} in-process retries)`,
  );

  // Phase 2: raw COPY of the same rows as the superuser, into RLS-free copies.
  const generation = createGenerationContext({
    manifest,
    manifestHash: hash,
    fpeKey: await keys.deriveFpeKey({ environment: "perf", tenant: "banco-alfa" }, manifest.key_version),
    keyVersion: manifest.key_version,
  });
  await superuser.unsafe("CREATE SCHEMA bench");
  const raw: Record<"indexed" | "bare", number> = { indexed: 0, bare: 0 };
  for (const entity of ENTITIES as readonly Entity[]) {
    const name = entity;
    await superuser.unsafe(`CREATE TABLE bench.${name} (LIKE banking.${name} INCLUDING ALL)`);
    await superuser.unsafe(`CREATE TABLE bench.${name}_bare (LIKE banking.${name})`);
    const columns = ENTITY_TABLES[entity].columns.map((c) => c.name).join(", ");
    const chunks: string[] = [];
    for (let from = 0; from < planned.perEntity[entity]; from += batchSize) {
      const to = Math.min(planned.perEntity[entity], from + batchSize);
      const batch = generateBatch(generation, entity, from, to);
      chunks.push(batch.rows.map((r) => `${r.map(copyText).join("\t")}\n`).join(""));
    }
    for (const [target, key] of [
      [`bench.${name}`, "indexed"],
      [`bench.${name}_bare`, "bare"],
    ] as const) {
      const started = performance.now();
      const writable = await superuser.unsafe(`COPY ${target} (${columns}) FROM STDIN`).writable();
      for (const chunk of chunks) {
        if (!writable.write(chunk)) await new Promise((resolve) => writable.once("drain", resolve));
      }
      await new Promise<void>((resolve, reject) => {
        writable.once("error", reject);
        writable.end(resolve);
      });
      raw[key] += (performance.now() - started) / 1000;
    }
  }
  const rate = (s: number) => committed / s;
  console.log(
    `raw COPY (indexes, no RLS/FKs): ${raw.indexed.toFixed(1)} s → ${Math.round(rate(raw.indexed)).toLocaleString("en")} rows/s`,
  );
  console.log(
    `raw COPY (bare tables):          ${raw.bare.toFixed(1)} s → ${Math.round(rate(raw.bare)).toLocaleString("en")} rows/s`,
  );
  console.log(`ratio pipeline / raw COPY (indexed): ${(pipelineRate / rate(raw.indexed)).toFixed(2)} (target ≥ 0.5)`);
  console.log(`ratio pipeline / raw COPY (bare):    ${(pipelineRate / rate(raw.bare)).toFixed(2)}`);
  console.log(`peak RSS during the write phase: ${(pipelineRss / 2 ** 20).toFixed(0)} MiB`);
} finally {
  clearInterval(sampler);
  await vault.stop();
  await Promise.all([owner.end({ timeout: 5 }), seeder.end({ timeout: 5 }), superuser.end({ timeout: 5 })]);
  await dropDatabase(admin, database);
}
