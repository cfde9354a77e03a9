/**
 * Full row verification throughput (issue 9): seeds a dataset through the seeder's batch writer
 * into a throwaway database, then times `verifyRows` — every row of the tenant re-read in one
 * REPEATABLE READ READ ONLY snapshot as semente_verifier (the role `semente verify` uses) under
 * RLS, regenerated from the manifest and compared value by value — and prints rows/s. Target:
 * ≥ 100,000 rows/s.
 *
 *   bun bench/verify.ts                  # the dev baseline and the perf profile ÷ 80 (~212k rows)
 *   bun bench/verify.ts --scale 16       # the perf profile ÷ 16 (~1.06M rows)
 *   bun bench/verify.ts --sample 0.1     # also time a 10 % deterministic sample
 *   bun bench/verify.ts --lanes 2        # also time the full check in 2 lanes (one snapshot)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createGenerationContext } from "../packages/core/src/factories/index.ts";
import { type Manifest, manifestHash, parseManifest } from "../packages/core/src/manifest/index.ts";
import { verifyRows } from "../packages/platform/src/verify/index.ts";
import { createTestDatabase } from "../packages/platform/tests/harness.ts";
import { startTestVault } from "../packages/platform/tests/pipeline/writer-fixtures.ts";
import { seedCompletedRun } from "../packages/platform/tests/verify/seeded-run.ts";
import { benchManifest } from "./throughput-manifest.ts";

const { values } = parseArgs({
  options: { scale: { type: "string", default: "80" }, sample: { type: "string" }, lanes: { type: "string" } },
});

async function measure(label: string, manifest: Manifest): Promise<void> {
  const environment = manifest.metadata.environment;
  const { vault, keys } = startTestVault([manifest.metadata.tenant], environment);
  const db = await createTestDatabase(`bench_verify_${environment}`);
  try {
    const seedStart = performance.now();
    await seedCompletedRun(db, manifest, keys);
    const seeded = (performance.now() - seedStart) / 1000;
    await db.adminSql`VACUUM ANALYZE`;
    const scope = { environment, tenant: manifest.metadata.tenant };
    const ctx = createGenerationContext({
      manifest,
      manifestHash: manifestHash(manifest),
      fpeKey: await keys.deriveFpeKey(scope, manifest.key_version),
      keyVersion: manifest.key_version,
    });
    const runs: { sample: number | undefined; name: string; lanes: number }[] = [
      { sample: undefined, name: "full", lanes: 1 },
    ];
    if (values.lanes !== undefined) {
      runs.push({ sample: undefined, name: `full ${values.lanes} lanes`, lanes: Number(values.lanes) });
    }
    if (values.sample !== undefined) {
      runs.push({ sample: Number(values.sample), name: `sample ${values.sample}`, lanes: 1 });
    }
    for (const { sample, name, lanes } of runs) {
      const rss0 = process.memoryUsage.rss();
      const start = performance.now();
      const result = await verifyRows({
        sql: db.verifierSql,
        manifest,
        ctx,
        ...(sample === undefined ? {} : { sample }),
        concurrency: lanes,
      });
      const seconds = (performance.now() - start) / 1000;
      const rows = result.entities.reduce((n, e) => n + e.expected, 0);
      console.log(
        `${label.padEnd(28)} ${name.padEnd(16)} ${String(rows).padStart(9)} rows  ${String(result.rowsCompared).padStart(9)} compared  ${seconds.toFixed(2).padStart(7)} s  ${Math.round(
          result.rowsCompared / seconds,
        )
          .toString()
          .padStart(
            8,
          )} rows/s compared  ok=${result.ok}  rss +${Math.round((process.memoryUsage.rss() - rss0) / 1e6)} MB  (seeded in ${seeded.toFixed(1)} s)`,
      );
      if (!result.ok) process.exitCode = 1;
    }
  } finally {
    await db.drop();
    await vault.stop();
  }
}

const dev = parseManifest(
  readFileSync(join(import.meta.dir, "../configs/seed_profiles/dev/banco-alfa.yaml"), "utf8"),
).manifest;
await measure("dev/banco-alfa (baseline)", dev);
const scale = Number(values.scale);
await measure(`perf/banco-alfa ÷ ${scale}`, benchManifest({ scale, batchSize: 5000 }));
