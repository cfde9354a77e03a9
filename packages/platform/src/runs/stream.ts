import type { Sql } from "../db/index.ts";
import { publicEvidenceLocation } from "../evidence/public-location.ts";
import { getRun } from "./repository.ts";
import { toRunResource } from "./resource.ts";
import { isTerminalState } from "./states.ts";
import type { Run, RunResource } from "./types.ts";

/** Rows planned and committed for one entity, as `seed.batches` records them. */
export interface EntityStreamProgress {
  entity: string;
  rows_planned: number;
  rows_written: number;
  batches: number;
  batches_committed: number;
  batches_dead_lettered: number;
}

/** A dead-lettered batch, keyed by `entity` and `batch_index`. */
export interface DlqStreamEntry {
  entity: string;
  batch_index: number;
  attempts: number;
  /** The last failure the seeder reported (a problem document or null). */
  last_error: unknown;
}

/** Everything the events route knows about a run at one instant. */
export interface RunSnapshot {
  run: RunResource;
  /** The run's `etag_version`. */
  version: number;
  /** Per entity, in order of first batch. Empty until the planner wrote the plan. */
  entities: EntityStreamProgress[];
  /** Dead-lettered batches, by entity then batch index. */
  dlq: DlqStreamEntry[];
  /** Rows committed during the last `windowSeconds` (by `committed_at`). */
  recentRows: number;
  windowSeconds: number;
  /** The signed evidence report, once indexed. */
  evidence: { sha256: string; location: string } | null;
}

/** What a client already saw, as encoded in its last event id. */
export interface StreamCursor {
  version: number;
  rowsWritten: number;
  dlq: number;
  evidence: boolean;
}

/** An event of `GET /api/v1/seed-runs/{id}/events` before SSE encoding. */
export interface RunStreamEvent {
  event: "state" | "progress" | "throughput" | "dlq" | "evidence" | "end";
  data: unknown;
}

/** Reads a run's snapshot; `null` when the run does not exist. */
export async function loadRunSnapshot(sql: Sql, runId: string, windowSeconds = 5): Promise<RunSnapshot | null> {
  const run = await getRun(sql, runId);
  if (run === null) return null;
  return snapshotOf(sql, run, windowSeconds);
}

/** The snapshot of an already loaded run. */
export async function snapshotOf(sql: Sql, run: Run, windowSeconds = 5): Promise<RunSnapshot> {
  // One round trip per read: a stream polls this every second for as long as it stays open.
  const [row] = await sql<
    {
      entities: {
        entity: string;
        planned: string;
        written: string;
        batches: number;
        committed: number;
        dead: number;
      }[];
      dlq: DlqStreamEntry[];
      recent: string;
      evidence: { sha256: string; location: string; storage: string } | null;
    }[]
  >`
    select
      (select coalesce(json_agg(e order by e.lvl, e.first, e.entity), '[]'::json) from (
         select entity, min(level) as lvl, min(batch_index) as first,
                sum(to_ordinal - from_ordinal)::text as planned,
                coalesce(sum(row_count) filter (where state = 'committed'), 0)::text as written,
                count(*)::int as batches,
                (count(*) filter (where state = 'committed'))::int as committed,
                (count(*) filter (where state = 'dead_lettered'))::int as dead
           from seed.batches where run_id = ${run.id} group by entity) e) as entities,
      (select coalesce(json_agg(d order by d.entity, d.batch_index), '[]'::json) from (
         select entity, batch_index, attempts, last_error from seed.batches
          where run_id = ${run.id} and state = 'dead_lettered') d) as dlq,
      (select coalesce(sum(row_count), 0)::text from seed.batches
        where run_id = ${run.id} and state = 'committed'
          and committed_at > now() - make_interval(secs => ${windowSeconds})) as recent,
      (select json_build_object('sha256', sha256, 'location', location, 'storage', storage) from seed.evidence_index
        where run_id = ${run.id} and envelope is not null order by created_at desc limit 1) as evidence`;
  const entities = row?.entities ?? [];
  const dlq = row?.dlq ?? [];
  return {
    run: toRunResource(run),
    version: run.etagVersion,
    entities: entities.map((e) => ({
      entity: e.entity,
      rows_planned: Number(e.planned),
      rows_written: Number(e.written),
      batches: e.batches,
      batches_committed: e.committed,
      batches_dead_lettered: e.dead,
    })),
    dlq: dlq.map((d) => ({
      entity: d.entity,
      batch_index: d.batch_index,
      attempts: d.attempts,
      last_error: d.last_error,
    })),
    recentRows: Number(row?.recent ?? 0),
    windowSeconds,
    // Never a server path: the filesystem store's objects are named by their key inside it.
    evidence:
      row?.evidence == null
        ? null
        : {
            sha256: row.evidence.sha256,
            location: publicEvidenceLocation(
              { id: run.id, tenantId: run.tenantId, environment: run.environment },
              row.evidence.location,
              row.evidence.storage,
            ),
          },
  };
}

/** Rows committed so far: the larger of the run's counter and the sum over its batches. */
function rowsWritten(s: RunSnapshot): number {
  return Math.max(
    s.run.progress.rows_written,
    s.entities.reduce((n, e) => n + e.rows_written, 0),
  );
}

/** The event id after `snapshot`: `v<version>.r<rows>.d<dlq>.e<0|1>`. */
export function cursorOf(snapshot: RunSnapshot): string {
  return encodeCursorId({
    version: snapshot.version,
    rowsWritten: rowsWritten(snapshot),
    dlq: snapshot.dlq.length,
    evidence: snapshot.evidence !== null,
  });
}

function encodeCursorId(c: StreamCursor): string {
  return `v${c.version}.r${c.rowsWritten}.d${c.dlq}.e${c.evidence ? 1 : 0}`;
}

/** Parses a `Last-Event-ID`; `null` when absent or not one of ours (the client then gets everything). */
export function parseStreamCursor(text: string | null | undefined): StreamCursor | null {
  const m = /^v(\d{1,9})\.r(\d{1,15})\.d(\d{1,9})\.e([01])$/.exec(text?.trim() ?? "");
  if (m === null) return null;
  return { version: Number(m[1]), rowsWritten: Number(m[2]), dlq: Number(m[3]), evidence: m[4] === "1" };
}

/**
 * The events that take a client from `prev` (what it saw: the previous snapshot of this connection,
 * or the cursor it resumed from, or nothing) to `next`, in the order progress, throughput, dlq,
 * state, evidence, end. Progress is absolute, so a repeated
 * `progress` or `dlq` event (keyed by entity, batch) is harmless; `state` and `evidence` are sent
 * once per change. `end` follows a terminal state once the evidence is indexed or `evidenceGiveUp`.
 */
export function diffRunSnapshots(
  prev: RunSnapshot | StreamCursor | null,
  next: RunSnapshot,
  options: { evidenceGiveUp?: boolean } = {},
): RunStreamEvent[] {
  const full = prev !== null && "run" in prev ? prev : null;
  const cursor = prev === null ? null : full === null ? (prev as StreamCursor) : null;
  const prevVersion = full?.version ?? cursor?.version ?? 0;
  const events: RunStreamEvent[] = [
    ...progressEvents(full, next),
    ...throughputEvents(full, next),
    ...dlqEvents(full, cursor, next),
  ];
  // After the progress it ends with: a client may stop at a terminal state and miss nothing.
  if (next.version > prevVersion || prev === null) {
    events.push({ event: "state", data: { version: next.version, run: next.run } });
  }
  const hadEvidence = full !== null ? full.evidence !== null : (cursor?.evidence ?? false);
  if (next.evidence !== null && !hadEvidence) {
    events.push({
      event: "evidence",
      data: { ...next.evidence, href: `/api/v1/seed-runs/${next.run.id}/evidence` },
    });
  }
  if (isTerminalState(next.run.state) && (next.evidence !== null || options.evidenceGiveUp === true)) {
    events.push({ event: "end", data: { state: next.run.state, evidence: next.evidence !== null } });
  }
  return events;
}

/** A `progress` event per entity whose counts changed since `full` (every entity without it). */
function progressEvents(full: RunSnapshot | null, next: RunSnapshot): RunStreamEvent[] {
  const before = new Map((full?.entities ?? []).map((e) => [e.entity, e]));
  return next.entities
    .filter((e) => {
      const old = before.get(e.entity);
      return (
        old === undefined ||
        old.rows_written !== e.rows_written ||
        old.batches_committed !== e.batches_committed ||
        old.batches_dead_lettered !== e.batches_dead_lettered ||
        old.rows_planned !== e.rows_planned
      );
    })
    .map((e) => ({ event: "progress", data: e }));
}

/** A `throughput` event when the rate changed (while running, or once more after a run this connection saw). */
function throughputEvents(full: RunSnapshot | null, next: RunSnapshot): RunStreamEvent[] {
  const running = !isTerminalState(next.run.state);
  const rate = next.recentRows / next.windowSeconds;
  const prevRate = full === null ? null : full.recentRows / full.windowSeconds;
  if (next.entities.length === 0 || !(running || prevRate !== null) || rate === prevRate) return [];
  return [
    {
      event: "throughput",
      data: {
        rows_per_second: Math.round(rate * 10) / 10,
        window_seconds: next.windowSeconds,
        rows_written: rowsWritten(next),
      },
    },
  ];
}

/**
 * `dlq` events: the batches dead-lettered since `full`, or all of them for a new connection whose
 * cursor (if any) counted a different number.
 */
function dlqEvents(full: RunSnapshot | null, cursor: StreamCursor | null, next: RunSnapshot): RunStreamEvent[] {
  const seenDlq = new Set((full?.dlq ?? []).map((d) => `${d.entity}:${d.batch_index}`));
  const resendDlq = full === null && (cursor === null || cursor.dlq !== next.dlq.length);
  return next.dlq
    .filter((d) => resendDlq || (full !== null && !seenDlq.has(`${d.entity}:${d.batch_index}`)))
    .map((d) => ({ event: "dlq", data: d }));
}
