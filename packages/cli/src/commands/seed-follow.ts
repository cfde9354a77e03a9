import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { connectNats, natsOptionsFromVars } from "@semente/platform/bus";
import { loadConfig, NATS_VARS } from "@semente/platform/config";
import { isSementeError, SementeError } from "@semente/core/errors";
import { type BatchPlan, createRunProgress, decodeCheckpoint } from "@semente/core/pipeline";
import { PIPELINE_VARS, pipelineNames } from "@semente/platform/pipeline";
import { decodeSse, type EntityStreamProgress, isTerminalState, type RunResource } from "@semente/platform/runs";
import type { GatewayClient } from "../api/client.ts";

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

const BAR = 24;

function bar(done: number, total: number): string {
  const filled = total === 0 ? BAR : Math.min(BAR, Math.round((done / total) * BAR));
  return `[${"#".repeat(filled)}${"-".repeat(BAR - filled)}]`;
}

/** `42s`, `3m05s`, `--` when unknown. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** Draws progress: bars redrawn in place on a TTY, one line per state change and finished entity otherwise. */
function createRenderer(plan: BatchPlan, tty: boolean, write: (text: string) => void) {
  const planned = new Map<string, number>();
  for (const b of plan.batches) planned.set(b.entity, (planned.get(b.entity) ?? 0) + (b.to - b.from));
  const written = new Map<string, number>([...planned.keys()].map((e) => [e, 0]));
  const announced = new Set<string>();
  let lastState = "";
  let drawn = 0;
  return {
    written,
    planned,
    setEntity(entity: string, rows: number, plannedRows?: number) {
      if (plannedRows !== undefined && !planned.has(entity)) planned.set(entity, plannedRows);
      written.set(entity, rows);
    },
    draw(run: RunResource, rate: number) {
      if (run.state !== lastState) {
        if (!tty || drawn === 0) write(`run ${run.id}: ${run.state}\n`);
        lastState = run.state;
      }
      const total = [...written.values()].reduce((a, b) => a + b, 0);
      const rows = Math.max(run.progress.rows_written, total);
      if (tty) {
        const lines = [...planned].map(([entity, p]) => {
          const w = written.get(entity) ?? 0;
          const eta = w >= p ? "done" : rate > 0 ? formatEta((p - w) / rate) : "--";
          return `  ${entity.padEnd(24)} ${bar(w, p)} ${String(w).padStart(8)}/${p}  ETA ${eta}`;
        });
        lines.push(
          `  ${"total".padEnd(24)} ${bar(rows, plan.totalRows)} ${String(rows).padStart(8)}/${plan.totalRows}  ${Math.round(rate)} rows/s  [${run.state}]`,
        );
        write(`${drawn > 0 ? `\x1b[${drawn}A` : ""}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`);
        drawn = lines.length;
      } else {
        for (const [entity, p] of planned) {
          const w = written.get(entity) ?? 0;
          if (w >= p && !announced.has(entity)) {
            announced.add(entity);
            write(`  ${entity}: ${w}/${p} rows\n`);
          }
        }
      }
    },
  };
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
  let run: RunResource | null = null;
  let rate = 0;
  let evidence: string | null = null;
  let lastId = "";
  let retryMs = 2_000;
  let failures = 0;
  let requests = 0;
  let terminalAt: number | null = null;
  const waitMs = options.evidenceWaitMs ?? 0;
  const done = () => {
    if (run === null || !isTerminalState(run.state)) return false;
    if (evidence !== null || run.state !== "completed" || run.dry_run || waitMs <= 0) return true;
    return terminalAt !== null && performance.now() - terminalAt >= waitMs;
  };
  outer: for (;;) {
    let body: ReadableStream<Uint8Array>;
    try {
      requests += 1;
      body = await client.events(runId, lastId === "" ? undefined : lastId);
    } catch (error) {
      // A refusal (401, 404, 429 …) is final; an unreachable gateway is retried like a dropped stream.
      if (!isSementeError(error) || error.code !== "UNAVAILABLE" || ++failures > maxReconnects) throw error;
      await Bun.sleep(retryMs);
      continue;
    }
    try {
      for await (const m of decodeSse(body)) {
        failures = 0;
        if (m.id !== "") lastId = m.id;
        if (m.retry !== undefined) retryMs = m.retry;
        const data = JSON.parse(m.data) as Record<string, unknown>;
        if (m.event === "state") {
          run = data.run as RunResource;
          if (isTerminalState(run.state)) terminalAt ??= performance.now();
        } else if (m.event === "progress") {
          const p = data as unknown as EntityStreamProgress;
          render.setEntity(p.entity, p.rows_written, p.rows_planned);
        } else if (m.event === "throughput") {
          rate = Number(data.rows_per_second ?? 0);
        } else if (m.event === "evidence") {
          evidence = String(data.location);
        }
        if (run !== null) render.draw(run, rate);
        if (m.event === "end" || done()) break outer;
      }
    } catch (error) {
      // A connection cut mid-stream is resumed below; anything else is a bug to surface.
      if (!(error instanceof TypeError) && !(error instanceof DOMException)) throw error;
    } finally {
      await body.cancel().catch(() => undefined);
    }
    if (done()) break;
    if (++failures > maxReconnects) {
      throw new SementeError("UNAVAILABLE", `event stream of run ${runId} keeps closing`, { retryable: true });
    }
    await Bun.sleep(retryMs);
  }
  const final = run as unknown as RunResource;
  const complete = final.state === "completed";
  const perEntity = [...render.planned].map(([entity, planned]) => ({
    entity,
    planned,
    written: complete ? planned : (render.written.get(entity) ?? 0),
  }));
  return { run: final, perEntity, elapsedMs: performance.now() - started, evidence, requests };
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
