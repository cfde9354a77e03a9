import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { connectNats, natsOptionsFromVars } from "@semente/platform/bus";
import { loadConfig, NATS_VARS } from "@semente/platform/config";
import { isSementeError, SementeError } from "@semente/core/errors";
import { type BatchPlan, createRunProgress, decodeCheckpoint } from "@semente/core/pipeline";
import { PIPELINE_VARS, pipelineNames } from "@semente/platform/pipeline";
import { decodeSse, type EntityStreamProgress, isTerminalState, type RunResource } from "@semente/platform/runs";
import type { GatewayClient } from "../api/client.ts";
import { createRenderer, type Renderer } from "./follow-render.ts";

/** Options of {@link followRun}. */
export interface FollowOptions {
  /** Redraw progress bars in place (a TTY) or print plain lines. */
  tty: boolean;
  /** Poll period of the run resource with `--direct` (no gateway). @default 300 */
  pollMs?: number;
  write?: (text: string) => void;
  /** `--direct`: the run is read from the database; no gateway, no event stream. */
  getRun?: (id: string) => Promise<RunResource>;
  /**
   * How long after the run completed the stream is kept open for its evidence report (0: stop at
   * the terminal state). @default 0
   */
  evidenceWaitMs?: number;
  /** Reconnections in a row without any event before giving up (UNAVAILABLE). @default 5 */
  maxReconnects?: number;
}

/** What following a run produced, for the summary. */
export interface FollowResult {
  run: RunResource;
  /** Rows per entity (plan rows once the run completed). */
  perEntity: { entity: string; planned: number; written: number }[];
  elapsedMs: number;
  /** WORM location of the evidence report, when the stream announced it. */
  evidence: string | null;
  /** HTTP requests made to the gateway while following (event stream connections). */
  requests: number;
}

/**
 * Follows a run until it is terminal: progress bars per entity with rows/s and ETA on a TTY,
 * plain lines (state changes, finished entities) otherwise. Through the gateway it reads
 * `GET /api/v1/seed-runs/{id}/events` (one request however long the run; a dropped stream is
 * resumed with `Last-Event-ID`); with `--direct` it polls the database and NATS checkpoints.
 */
export async function followRun(
  client: GatewayClient | null,
  runId: string,
  plan: BatchPlan,
  options: FollowOptions,
): Promise<FollowResult> {
  if (options.getRun !== undefined || client === null) {
    return followDirect(runId, plan, options, options.getRun ?? ((id) => (client as GatewayClient).getRun(id)));
  }
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const render = createRenderer(plan, options.tty, write);
  const started = performance.now();
  const maxReconnects = options.maxReconnects ?? 5;
  const waitMs = options.evidenceWaitMs ?? 0;
  const s: StreamFollow = {
    run: null,
    rate: 0,
    evidence: null,
    lastId: "",
    retryMs: 2_000,
    failures: 0,
    requests: 0,
    terminalAt: null,
  };
  for (;;) {
    const body = await openEvents(client, runId, s, maxReconnects);
    if (body === null) continue;
    if (await readEvents(body, s, render, waitMs)) break;
    if (isDone(s, waitMs)) break;
    if (++s.failures > maxReconnects) {
      throw new SementeError("UNAVAILABLE", `event stream of run ${runId} keeps closing`, { retryable: true });
    }
    await Bun.sleep(s.retryMs);
  }
  const { run, evidence, requests } = s;
  const final = run as unknown as RunResource;
  const complete = final.state === "completed";
  const perEntity = [...render.planned].map(([entity, planned]) => ({
    entity,
    planned,
    written: complete ? planned : (render.written.get(entity) ?? 0),
  }));
  return { run: final, perEntity, elapsedMs: performance.now() - started, evidence, requests };
}

/** What following the event stream has learnt so far, and how it reconnects. */
interface StreamFollow {
  run: RunResource | null;
  rate: number;
  evidence: string | null;
  /** The last event id, sent back as `Last-Event-ID` on a reconnection. */
  lastId: string;
  retryMs: number;
  /** Reconnections in a row without any event. */
  failures: number;
  requests: number;
  /** When the run was first seen terminal. */
  terminalAt: number | null;
}

/**
 * Terminal, and: the evidence announced, or none to wait for (not completed, a dry run, no wait),
 * or `waitMs` spent waiting for it.
 */
function isDone(s: StreamFollow, waitMs: number): boolean {
  const { run } = s;
  if (run === null || !isTerminalState(run.state)) return false;
  if (s.evidence !== null || run.state !== "completed" || run.dry_run || waitMs <= 0) return true;
  return s.terminalAt !== null && performance.now() - s.terminalAt >= waitMs;
}

/** Opens the event stream; null (after the retry delay) when the gateway was unreachable. */
async function openEvents(
  client: GatewayClient,
  runId: string,
  s: StreamFollow,
  maxReconnects: number,
): Promise<ReadableStream<Uint8Array> | null> {
  try {
    s.requests += 1;
    return await client.events(runId, s.lastId === "" ? undefined : s.lastId);
  } catch (error) {
    // A refusal (401, 404, 429 …) is final; an unreachable gateway is retried like a dropped stream.
    if (!isSementeError(error) || error.code !== "UNAVAILABLE" || ++s.failures > maxReconnects) throw error;
    await Bun.sleep(s.retryMs);
    return null;
  }
}

/** Reads one connection's events; true once the run is followed to its end. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  s: StreamFollow,
  render: Renderer,
  waitMs: number,
): Promise<boolean> {
  try {
    for await (const m of decodeSse(body)) {
      s.failures = 0;
      if (m.id !== "") s.lastId = m.id;
      if (m.retry !== undefined) s.retryMs = m.retry;
      applyEvent(s, render, m.event, JSON.parse(m.data) as Record<string, unknown>);
      if (s.run !== null) render.draw(s.run, s.rate);
      if (m.event === "end" || isDone(s, waitMs)) return true;
    }
  } catch (error) {
    // A connection cut mid-stream is resumed by the caller; anything else is a bug to surface.
    if (!(error instanceof TypeError) && !(error instanceof DOMException)) throw error;
  } finally {
    await body.cancel().catch(() => undefined);
  }
  return false;
}

function applyEvent(s: StreamFollow, render: Renderer, event: string | undefined, data: Record<string, unknown>): void {
  if (event === "state") {
    s.run = data.run as RunResource;
    if (isTerminalState(s.run.state)) s.terminalAt ??= performance.now();
  } else if (event === "progress") {
    const p = data as unknown as EntityStreamProgress;
    render.setEntity(p.entity, p.rows_written, p.rows_planned);
  } else if (event === "throughput") {
    s.rate = Number(data.rows_per_second ?? 0);
  } else if (event === "evidence") {
    s.evidence = String(data.location);
  }
}

/** Subscribes to the run's checkpoint messages when NATS is reachable (per-entity progress). */
async function checkpointFeed(
  runId: string,
  onCheckpoint: (entity: string, batchIndex: number, digest: string, rows: number) => void,
): Promise<{ nc: NatsConnection; sub: Subscription } | null> {
  const vars = loadConfig({ ...NATS_VARS, ...PIPELINE_VARS });
  let nc: NatsConnection;
  try {
    nc = await connectNats({ ...natsOptionsFromVars(vars, "semente-cli"), timeoutMs: 1_500 });
  } catch (error) {
    // Without NATS the bars fall back to the run's total: progress is cosmetic, the state is not.
    if (error instanceof Error) return null;
    throw error;
  }
  const names = pipelineNames({ subjectPrefix: vars.PIPELINE_NATS_SUBJECT_PREFIX });
  const sub = nc.subscribe(names.checkpointSubject(runId));
  const pump = async () => {
    for await (const m of sub) {
      try {
        const c = decodeCheckpoint(m.data);
        onCheckpoint(c.entity, c.batchIndex, c.digest, c.rows);
      } catch (error) {
        // A malformed progress message only costs a bar update.
        if (!(error instanceof Error)) throw error;
      }
    }
  };
  void pump();
  return { nc, sub };
}

/** `--direct`: polls the run in the database and reads checkpoint messages from NATS. */
async function followDirect(
  runId: string,
  plan: BatchPlan,
  options: FollowOptions,
  getRun: (id: string) => Promise<RunResource>,
): Promise<FollowResult> {
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const render = createRenderer(plan, options.tty, write);
  const progress = createRunProgress(plan);
  const feed = await checkpointFeed(runId, (entity, batchIndex, digest, rows) => {
    progress.commit(entity, batchIndex, digest, rows);
  });
  const started = performance.now();
  let run = await getRun(runId);
  try {
    for (;;) {
      for (const e of progress.perEntity()) render.setEntity(e.entity, e.written);
      const seconds = (performance.now() - started) / 1000;
      const written = Math.max(run.progress.rows_written, progress.rowsWritten());
      render.draw(run, seconds > 0 ? written / seconds : 0);
      if (isTerminalState(run.state)) break;
      await Bun.sleep(options.pollMs ?? 300);
      run = await getRun(runId);
    }
  } finally {
    feed?.sub.unsubscribe();
    await feed?.nc.close();
  }
  const complete = run.state === "completed";
  const perEntity = progress.perEntity().map((e) => ({
    entity: e.entity,
    planned: e.planned,
    written: complete ? e.planned : e.written,
  }));
  return { run, perEntity, elapsedMs: performance.now() - started, evidence: null, requests: 0 };
}
