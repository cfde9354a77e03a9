import type { Sql } from "../packages/platform/src/db/index.ts";
import type { KeyProvider } from "../packages/platform/src/keys/index.ts";
import type { Manifest } from "../packages/core/src/manifest/index.ts";
import { type BatchMessage, planBatches } from "../packages/core/src/pipeline/index.ts";
import { createBatchWriter, type WritePath } from "../packages/platform/src/pipeline/index.ts";

/** Options of {@link runWriter}. */
export interface WriterOptions {
  /** Pools on the bench database. */
  owner: Sql;
  seeder: Sql;
  keys: KeyProvider;
  manifest: Manifest;
  manifestHash: string;
  workers: number;
  path: WritePath;
}

/** What the in-process write path measured. */
export interface WriterResult {
  rows: number;
  batches: number;
  seconds: number;
  retries: number;
  /** Peak RSS of this process during the write phase, in bytes. */
  peakRss: number;
}

/**
 * The seeder's write path in-process (no NATS, no planner): createBatchWriter as semente_seeder
 * under RLS, SERIALIZABLE batches with their checkpoints, `workers` concurrent workers, FK level by
 * FK level as the planner's whole-level release would.
 */
export async function runWriter(options: WriterOptions): Promise<WriterResult> {
  const { owner, manifest, manifestHash: hash } = options;
  const runId = crypto.randomUUID();
  await owner`
    INSERT INTO seed.runs (id, environment, tenant_id, mode, dry_run, state, manifest_hash, manifest_version, manifest,
      reference_datetime, key_version, principal, started_at)
    VALUES (${runId}, 'perf', ${manifest.metadata.tenant}, 'load', false, 'running', ${hash.slice(7)},
      ${manifest.metadata.version}, ${owner.json(manifest as never)}, ${manifest.reference_datetime},
      ${manifest.key_version}, 'bench', now())`;
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  try {
    let retries = 0;
    const writer = createBatchWriter({
      sql: options.seeder,
      keys: options.keys,
      path: options.path,
      retry: { attempts: 8, onRetry: () => retries++ },
    });
    const plan = planBatches(manifest);
    let rows = 0;
    const t0 = performance.now();
    const top = Math.max(...plan.batches.map((b) => b.level));
    for (let level = 0; level <= top; level++) {
      const queue: BatchMessage[] = plan.batches
        .filter((b) => b.level === level)
        .map((b) => ({
          v: 1,
          runId,
          environment: manifest.metadata.environment,
          tenant: manifest.metadata.tenant,
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
        Array.from({ length: options.workers }, async () => {
          for (let msg = queue.shift(); msg !== undefined; msg = queue.shift()) {
            const result = await writer.write(msg, { attempt: 1 });
            if (result.outcome !== "committed")
              throw new Error(`batch ${msg.entity}:${msg.batchIndex} ${result.outcome}`);
            rows += result.checkpoint.rows;
          }
        }),
      );
    }
    return { rows, batches: plan.batches.length, seconds: (performance.now() - t0) / 1000, retries, peakRss };
  } finally {
    clearInterval(sampler);
  }
}
