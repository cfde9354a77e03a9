import type { Sql } from "../packages/platform/src/db/index.ts";
import { createGenerationContext, ENTITY_TABLES, generateBatch } from "../packages/core/src/factories/index.ts";
import { ENTITIES, type Entity, type Manifest, plannedRows } from "../packages/core/src/manifest/index.ts";
import { copyText } from "../packages/platform/src/pipeline/index.ts";

/** Seconds spent in raw COPY, per target kind. */
export interface RawCopyTimes {
  /** `CREATE TABLE bench.x (LIKE banking.x INCLUDING ALL)`: indexes and CHECKs, no FKs, no RLS. */
  indexed: number;
  /** `CREATE TABLE bench.x_bare (LIKE banking.x)`: no indexes, no constraints but NOT NULL. */
  bare: number;
  rows: number;
}

/** Options of {@link rawCopy}. */
export interface RawCopyOptions {
  /** Superuser pool on the bench database. */
  superuser: Sql;
  manifest: Manifest;
  manifestHash: string;
  fpeKey: Uint8Array;
  batchSize: number;
  /** Aborted on SIGINT/SIGTERM: stop between tables. */
  signal?: AbortSignal;
}

/**
 * Generates the manifest's rows with the factories (not timed) and COPYs them as the superuser into
 * RLS-free copies of the banking tables, timing only the COPY statements.
 */
export async function rawCopy(options: RawCopyOptions): Promise<RawCopyTimes> {
  const { superuser, manifest } = options;
  const planned = plannedRows(manifest);
  const generation = createGenerationContext({
    manifest,
    manifestHash: options.manifestHash,
    fpeKey: options.fpeKey,
    keyVersion: manifest.key_version,
  });
  await superuser.unsafe("CREATE SCHEMA IF NOT EXISTS bench");
  const times: RawCopyTimes = { indexed: 0, bare: 0, rows: 0 };
  for (const entity of ENTITIES as readonly Entity[]) {
    if (options.signal?.aborted) throw new Error("interrupted during the raw COPY");
    await superuser.unsafe(`CREATE TABLE bench.${entity} (LIKE banking.${entity} INCLUDING ALL)`);
    await superuser.unsafe(`CREATE TABLE bench.${entity}_bare (LIKE banking.${entity})`);
    const columns = ENTITY_TABLES[entity].columns.map((c) => c.name).join(", ");
    const chunks: string[] = [];
    for (let from = 0; from < planned.perEntity[entity]; from += options.batchSize) {
      const to = Math.min(planned.perEntity[entity], from + options.batchSize);
      const batch = generateBatch(generation, entity, from, to);
      times.rows += batch.rows.length;
      chunks.push(batch.rows.map((r) => `${r.map(copyText).join("\t")}\n`).join(""));
    }
    for (const [target, key] of [
      [`bench.${entity}`, "indexed"],
      [`bench.${entity}_bare`, "bare"],
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
      times[key] += (performance.now() - started) / 1000;
    }
  }
  return times;
}
