#!/usr/bin/env bun
// Database time per row of the seeder's write transaction, for the two largest child tables of the
// perf manifest (installments, financial_transactions), under each write-path variant, A/B
// interleaved so that the load of a shared machine hits every variant alike:
//
//   bun bench/write-levers.ts [--scale 16] [--reps 2] [--variants ordered:copy,uuidv5:copy,...]
//
// A variant is <id layout>:<write path>[:leafkeys][:lz4]. id layout `ordered` is the factories' rowId (ordinal in
// the middle of the UUID: append-only keys); `uuidv5` rewrites every ID to the previous layout,
// uuidv5(namespace, decimal ordinal), scattered over the key space. The write path is the
// seeder's bulkInsert (`copy`: COPY into a temp table then INSERT … SELECT; `unnest`); `leafkeys`
// re-adds the UNIQUE (tenant_id, id) that migration 0070 dropped from the timed tables; `lz4`
// sets wal_compression = lz4 on the throwaway database (ALTER DATABASE, superuser). Each
// variant gets a fresh migrated database whose parents (tenants … loans) are loaded untimed by
// the superuser; then the rows are written, pre-generated, one 10,000-row batch per SERIALIZABLE
// transaction under withTenant as semente_seeder (RLS, FKs, CHECKs, every index), one at a time.
import { parseArgs } from "node:util";
import { COMMON_VARS, loadConfig } from "../packages/platform/src/config/index.ts";
import {
  createSql,
  dropDatabase,
  MIGRATIONS_DIR,
  migrate,
  setupDatabase,
  withTenant,
} from "../packages/platform/src/db/index.ts";
import { entityNamespace, uuidv5 } from "../packages/core/src/determinism/index.ts";
import {
  type Batch,
  createGenerationContext,
  ENTITY_TABLES,
  generateBatch,
} from "../packages/core/src/factories/index.ts";
import { ENTITIES, type Entity, manifestHash, plannedRows } from "../packages/core/src/manifest/index.ts";
import { bulkInsert, copyText, WritePath } from "../packages/platform/src/pipeline/index.ts";
import { benchManifest, roleUrls } from "./throughput-manifest.ts";

const { values: args } = parseArgs({
  options: {
    scale: { type: "string", default: "16" },
    reps: { type: "string", default: "2" },
    variants: { type: "string", default: "ordered:copy,uuidv5:copy,ordered:unnest,ordered:copy:leafkeys" },
  },
});
const BATCH = 10_000;
const PARENTS: readonly Entity[] = [
  "tenants",
  "users",
  "consultants",
  "account_categories",
  "customers",
  "bank_accounts",
  "loans",
];
const TIMED: readonly Entity[] = ["installments", "financial_transactions"];

const manifest = benchManifest({ scale: Number(args.scale), batchSize: BATCH });
const tenant = manifest.metadata.tenant;
const ctx = createGenerationContext({
  manifest,
  manifestHash: manifestHash(manifest),
  fpeKey: new Uint8Array(32).fill(7),
  keyVersion: manifest.key_version,
});
const counts = plannedRows(manifest).perEntity;

/** `ordered` ID → the uuidv5 ID of the same (namespace, ordinal). */
const namespaces = new Map<string, string>();
for (const entity of ENTITIES) {
  const ns = entityNamespace(tenant, entity);
  namespaces.set(`${ns.slice(0, 8)}|${ns.slice(24)}`, ns);
}
function toUuidv5(value: unknown): unknown {
  if (typeof value !== "string" || value.length !== 36 || value[14] !== "8") return value;
  const [head, a, b, c, tail] = value.split("-") as [string, string, string, string, string];
  const ns = namespaces.get(`${head}|${tail}`);
  if (ns === undefined) return value;
  const ordinal =
    Number.parseInt(a, 16) * 2 ** 26 + (Number.parseInt(b, 16) & 0xfff) * 2 ** 14 + (Number.parseInt(c, 16) & 0x3fff);
  return uuidv5(ns, String(ordinal));
}

type Layout = "ordered" | "uuidv5";
const cache = new Map<string, Batch[]>();
function batchesOf(entity: Entity, layout: Layout): Batch[] {
  const key = `${entity}:${layout}`;
  let batches = cache.get(key);
  if (batches === undefined) {
    batches = [];
    for (let from = 0; from < counts[entity]; from += BATCH) {
      const batch = generateBatch(ctx, entity, from, Math.min(counts[entity], from + BATCH));
      batches.push(layout === "ordered" ? batch : { ...batch, rows: batch.rows.map((r) => r.map(toUuidv5)) });
    }
    cache.set(key, batches);
  }
  return batches;
}

const admin = loadConfig({ ADMIN_DATABASE_URL: COMMON_VARS.ADMIN_DATABASE_URL }).ADMIN_DATABASE_URL;

async function trial(
  layout: Layout,
  path: WritePath,
  flags: ReadonlySet<string>,
  n: number,
): Promise<Record<string, number>> {
  const database = `semente_levers_${process.pid}_${n}`;
  await dropDatabase(admin, database);
  await setupDatabase({ adminUrl: admin, database });
  // This throwaway database only (the server's configuration is left alone).
  if (flags.has("lz4")) {
    const su = createSql(roleUrls(admin, database).admin, { max: 1 });
    await su.unsafe(`ALTER DATABASE ${database} SET wal_compression = 'lz4'`);
    await su.end({ timeout: 5 });
  }
  const urls = roleUrls(admin, database);
  const owner = createSql(urls.owner, { max: 1 });
  const superuser = createSql(urls.admin, { max: 1 });
  const seeder = createSql(urls.seeder, { max: 2 });
  try {
    await migrate(owner, { dir: MIGRATIONS_DIR });
    // The schema before migration 0070: UNIQUE (tenant_id, id) on the timed leaf tables too.
    if (flags.has("leafkeys"))
      for (const e of TIMED) await superuser.unsafe(`ALTER TABLE banking.${e} ADD UNIQUE (tenant_id, id)`);
    for (const entity of PARENTS) {
      const columns = ENTITY_TABLES[entity].columns.map((c) => c.name).join(", ");
      const writable = await superuser.unsafe(`COPY ${ENTITY_TABLES[entity].table} (${columns}) FROM STDIN`).writable();
      const done = new Promise<void>((resolve, reject) => {
        writable.once("error", reject);
        writable.once("finish", resolve);
      });
      for (const batch of batchesOf(entity, layout)) {
        const text = batch.rows.map((r) => `${r.map(copyText).join("\t")}\n`).join("");
        if (!writable.write(text)) await new Promise((resolve) => writable.once("drain", resolve));
      }
      writable.end();
      await done;
    }
    // The seeder's policies admit rows only in a transaction bound to a running run (0051).
    const runId = crypto.randomUUID();
    await owner`
      INSERT INTO seed.runs (id, environment, tenant_id, mode, dry_run, state, manifest_hash, manifest_version, manifest,
        reference_datetime, key_version, principal, started_at)
      VALUES (${runId}, 'perf', ${tenant}, 'load', false, 'running', ${manifestHash(manifest).slice(7)},
        ${manifest.metadata.version}, ${owner.json(manifest as never)}, ${manifest.reference_datetime},
        ${manifest.key_version}, 'bench', now())`;
    await superuser`CHECKPOINT`;
    const seconds: Record<string, number> = {};
    for (const entity of TIMED) {
      const batches = batchesOf(entity, layout);
      const started = performance.now();
      for (const batch of batches) {
        await withTenant(seeder, tenant, (tx) => bulkInsert(tx, batch, { path, guard: superuser }), {
          isolation: "serializable",
          runId,
        });
      }
      seconds[entity] = (performance.now() - started) / 1000;
    }
    return seconds;
  } finally {
    await Promise.all([owner, superuser, seeder].map((p) => p.end({ timeout: 5 })));
    await dropDatabase(admin, database);
  }
}

const variants = args.variants.split(",").map((v) => {
  const [layout, path, ...flags] = v.split(":");
  if (
    (layout !== "ordered" && layout !== "uuidv5") ||
    (path !== WritePath.copy && path !== WritePath.unnest) ||
    flags.some((f) => f !== "leafkeys" && f !== "lz4")
  )
    throw new Error(`bad variant ${v}: <ordered|uuidv5>:<copy|unnest>[:leafkeys][:lz4]`);
  return { name: v, layout: layout as Layout, path: path as WritePath, flags: new Set(flags) };
});
const results = new Map<string, number[]>(variants.map((v) => [v.name, []]));
const rows = TIMED.reduce((sum, e) => sum + counts[e], 0);
let n = 0;
for (let rep = 1; rep <= Number(args.reps); rep++) {
  for (const v of variants) {
    const s = await trial(v.layout, v.path, v.flags, n++);
    const total = TIMED.reduce((sum, e) => sum + (s[e] ?? 0), 0);
    results.get(v.name)?.push(total);
    console.log(
      `[${rep}] ${v.name.padEnd(22)} ${TIMED.map((e) => `${e} ${(s[e] ?? 0).toFixed(1)} s`).join(", ")} → ${Math.round(rows / total).toLocaleString("en")} rows/s`,
    );
  }
}
for (const [name, totals] of results) {
  const sorted = [...totals].sort((a, b) => a - b);
  const m = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[m] as number) : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2;
  console.log(
    `median ${name.padEnd(22)} ${((median * 1e6) / rows).toFixed(1)} µs/row, ${Math.round(rows / median).toLocaleString("en")} rows/s (${totals.map((t) => t.toFixed(1)).join(", ")} s)`,
  );
}
process.exit(0);
