import { Action, canSee } from "@semente/platform/auth";
import type { Sql } from "@semente/platform/db";
import { SementeError } from "@semente/core/errors";
import {
  cursorOf,
  diffRunSnapshots,
  encodeSse,
  encodeSseComment,
  getRun,
  isTerminalState,
  parseStreamCursor,
  type Run,
  type RunSnapshot,
  type StreamCursor,
  snapshotOf,
} from "@semente/platform/runs";
import type { Logger } from "@semente/platform/telemetry";
import type { Handler } from "../http/context.ts";

/** Tuning of `GET /api/v1/seed-runs/{id}/events`. */
export interface RunEventsRouteOptions {
  /** How often each stream reads the run's snapshot. @default 1000 */
  pollMs?: number;
  /** A comment line after this long without an event (below Bun's 10 s idle timeout). @default 5000 */
  heartbeatMs?: number;
  /** Open streams per principal subject on this replica; one more is 429. @default 5 */
  maxPerPrincipal?: number;
  /** After a terminal state, how long the stream waits for the evidence before `end`. @default 30000 */
  evidenceWaitMs?: number;
  /** Window of the rows/s figure. @default 5 */
  windowSeconds?: number;
}

/** Dependencies of the events route. */
export interface RunEventsDeps extends RunEventsRouteOptions {
  sql: Sql;
  log: Logger;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RECONNECT_MS = 2_000;

/**
 * `GET /api/v1/seed-runs/:id/events`: the run's state changes, per-entity progress, rows/s, DLQ
 * entries and evidence as Server-Sent Events, from PostgreSQL snapshots. A run another tenant owns
 * is 404 like an unknown id. `Last-Event-ID` resumes without repeating state or evidence events.
 */
export function runEventsRoute(deps: RunEventsDeps): Handler {
  const pollMs = deps.pollMs ?? 1_000;
  const heartbeatMs = deps.heartbeatMs ?? 5_000;
  const maxPerPrincipal = deps.maxPerPrincipal ?? 5;
  const evidenceWaitMs = deps.evidenceWaitMs ?? 30_000;
  const windowSeconds = deps.windowSeconds ?? 5;
  const open = new Map<string, number>();

  return async (ctx) => {
    const id = ctx.params.id ?? "";
    const run = UUID.test(id) ? await getRun(deps.sql, id.toLowerCase()) : null;
    // Another tenant's run answers exactly like an unknown one: its existence is not disclosed.
    if (run === null || !canSee(ctx.principal, run.tenantId, run.environment)) {
      throw new SementeError("NOT_FOUND", "run not found");
    }
    ctx.authorize(Action.read, { tenant: run.tenantId, environment: run.environment, run: run.id });
    const subject = ctx.principal.subject;
    const count = open.get(subject) ?? 0;
    if (count >= maxPerPrincipal) {
      throw new SementeError("RATE_LIMITED", `at most ${maxPerPrincipal} open event streams per principal`, {
        extensions: { retry_after: RECONNECT_MS / 1000, policy: "event-streams" },
      });
    }
    open.set(subject, count + 1);
    const first = await snapshotOf(deps.sql, run, windowSeconds);
    const resumeFrom: StreamCursor | null = parseStreamCursor(ctx.request.headers.get("last-event-id"));
    const conn: Connection = {
      sql: deps.sql,
      run,
      first,
      resumeFrom,
      log: ctx.log,
      pollMs,
      heartbeatMs,
      evidenceWaitMs,
      windowSeconds,
      closed: false,
      timer: undefined,
      release: () => {
        if (conn.closed) return;
        conn.closed = true;
        clearTimeout(conn.timer);
        const left = (open.get(subject) ?? 1) - 1;
        if (left <= 0) open.delete(subject);
        else open.set(subject, left);
      },
    };
    ctx.request.signal.addEventListener("abort", conn.release, { once: true });

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        streamEvents(controller, conn);
      },
      cancel() {
        conn.release();
      },
    });
    return new Response(stream, {
      status: 200,
      headers: {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
      },
    });
  };
}

/** One open event stream: the run, its settings, and whether it is over. */
interface Connection {
  sql: Sql;
  run: Run;
  /** The snapshot read before the stream opened. */
  first: RunSnapshot;
  resumeFrom: StreamCursor | null;
  log: Logger;
  pollMs: number;
  heartbeatMs: number;
  evidenceWaitMs: number;
  windowSeconds: number;
  closed: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Marks the stream over, stops polling and frees the principal's slot (once). */
  release(): void;
}

/**
 * Writes the stream: `hello`, then the events from the client's cursor to the first snapshot, then
 * every change the polls find, a heartbeat comment when idle, until `end` or a failed read.
 */
function streamEvents(controller: ReadableStreamDefaultController<Uint8Array>, conn: Connection): void {
  const { run, log, pollMs, heartbeatMs, evidenceWaitMs, windowSeconds } = conn;
  const encoder = new TextEncoder();
  let prev: RunSnapshot | StreamCursor | null = conn.resumeFrom;
  let lastWrite = Date.now();
  let terminalSince: number | null = null;
  const send = (text: string) => {
    controller.enqueue(encoder.encode(text));
    lastWrite = Date.now();
  };
  const finish = () => {
    conn.release();
    try {
      controller.close();
    } catch (error) {
      // Already closed by a cancelled reader: nothing left to close.
      if (!(error instanceof TypeError)) throw error;
    }
  };
  const emit = (snapshot: RunSnapshot): boolean => {
    if (isTerminalState(snapshot.run.state)) terminalSince ??= Date.now();
    const giveUp = terminalSince !== null && Date.now() - terminalSince >= evidenceWaitMs;
    const events = diffRunSnapshots(prev, snapshot, { evidenceGiveUp: giveUp });
    prev = snapshot;
    if (events.length > 0) {
      // One chunk per tick, the id on its last event only: a stream cut mid-chunk resumes from
      // the previous id and gets the whole tick again.
      const id = cursorOf(snapshot);
      send(
        events
          .map((e, i) =>
            encodeSse({
              event: e.event,
              data: JSON.stringify(e.data),
              ...(i === events.length - 1 ? { id } : {}),
            }),
          )
          .join(""),
      );
    } else if (Date.now() - lastWrite >= heartbeatMs) {
      send(encodeSseComment("heartbeat"));
    }
    return events.some((e) => e.event === "end");
  };
  send(encodeSse({ event: "hello", data: JSON.stringify({ run: run.id }), retry: RECONNECT_MS }));
  const tick = async () => {
    if (conn.closed) return;
    try {
      const snapshot = await snapshotOf(conn.sql, (await getRun(conn.sql, run.id)) ?? run, windowSeconds);
      if (conn.closed) return;
      if (emit(snapshot)) return finish();
    } catch (error) {
      // A failed read ends this stream; the client reconnects with Last-Event-ID after `retry`.
      log.warn({ err: error, run: run.id }, "run events read failed, closing the stream");
      return finish();
    }
    conn.timer = setTimeout(tick, Math.min(pollMs, heartbeatMs));
  };
  if (emit(conn.first)) {
    finish();
    return;
  }
  conn.timer = setTimeout(tick, Math.min(pollMs, heartbeatMs));
}
