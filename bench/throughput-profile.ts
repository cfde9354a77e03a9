import type { Sql } from "../packages/platform/src/db/index.ts";
import type { BatchDone } from "./throughput-stack.ts";

/** Where the pipeline's time went, from seed.batches, seed.checkpoints and the seeders' logs. */
export interface PipelineProfile {
  /** Mean seconds per batch: published → picked up by a seeder. */
  queueWait: number;
  /** Mean seconds per batch: picked up → transaction start (run lookup, checkpoint lookup, generation). */
  generation: number;
  /** Mean seconds per batch: transaction start → acked (checkpoint, COPY, INSERT … SELECT, commit). */
  transaction: number;
  /** Busy fraction of the seeders over the run (Σ write time / (run time × seeders)). */
  utilization: number;
  /** Seconds of the run during which no batch was being written at all. */
  allIdle: number;
  /** Per entity: first publish, last ack (seconds from the run's start) and batches. */
  entities: { entity: string; start: number; end: number; batches: number }[];
}

interface Row {
  entity: string;
  batch_index: number;
  published: number;
  tx_start: number;
  run_start: number;
  run_end: number;
}

/** Builds the profile of `runId` (call after the run completed and the seeders stopped). */
export async function profileRun(sql: Sql, runId: string, done: readonly BatchDone[]): Promise<PipelineProfile> {
  const rows = await sql<Row[]>`
    SELECT b.entity, b.batch_index,
           extract(epoch FROM b.published_at)::float8 * 1000 AS published,
           extract(epoch FROM c.committed_at)::float8 * 1000 AS tx_start,
           extract(epoch FROM r.started_at)::float8 * 1000 AS run_start,
           extract(epoch FROM r.finished_at)::float8 * 1000 AS run_end
      FROM seed.batches b
      JOIN seed.checkpoints c USING (run_id, entity, batch_index)
      JOIN seed.runs r ON r.id = b.run_id
     WHERE b.run_id = ${runId}`;
  const byKey = new Map(done.map((d) => [`${d.entity}:${d.batch}`, d]));
  let queue = 0;
  let generation = 0;
  let transaction = 0;
  let busy = 0;
  let n = 0;
  const spans: [number, number][] = [];
  const entities = new Map<string, { entity: string; start: number; end: number; batches: number }>();
  const runStart = rows[0]?.run_start ?? 0;
  const runEnd = rows[0]?.run_end ?? 0;
  for (const r of rows) {
    const d = byKey.get(`${r.entity}:${r.batch_index}`);
    if (d === undefined) continue;
    const picked = d.at - d.ms;
    queue += Math.max(0, picked - r.published);
    generation += Math.max(0, r.tx_start - picked);
    transaction += Math.max(0, d.at - r.tx_start);
    busy += d.ms;
    spans.push([picked, d.at]);
    n++;
    const e = entities.get(r.entity) ?? { entity: r.entity, start: Number.POSITIVE_INFINITY, end: 0, batches: 0 };
    e.start = Math.min(e.start, (r.published - runStart) / 1000);
    e.end = Math.max(e.end, (d.at - runStart) / 1000);
    e.batches++;
    entities.set(r.entity, e);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let idle = 0;
  let cursor = runStart;
  for (const [from, to] of spans) {
    if (from > cursor) idle += from - cursor;
    cursor = Math.max(cursor, to);
  }
  if (runEnd > cursor) idle += runEnd - cursor;
  const seeders = new Set(done.map((d) => d.seeder)).size || 1;
  const per = (x: number) => (n === 0 ? 0 : x / n / 1000);
  return {
    queueWait: per(queue),
    generation: per(generation),
    transaction: per(transaction),
    utilization: runEnd > runStart ? busy / ((runEnd - runStart) * seeders) : 0,
    allIdle: idle / 1000,
    entities: [...entities.values()].sort((a, b) => a.start - b.start),
  };
}
