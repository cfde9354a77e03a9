import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { connectNats, natsOptionsFromVars } from "@semente/shared/bus";
import { loadConfig, NATS_VARS } from "@semente/shared/config";
import {
  type BatchPlan,
  createRunProgress,
  decodeCheckpoint,
  PIPELINE_VARS,
  pipelineNames,
} from "@semente/shared/pipeline";
import { isTerminalState, type RunResource } from "@semente/shared/runs";
import type { GatewayClient } from "./gateway-client.ts";

/** Options of {@link followRun}. */
export interface FollowOptions {
  /** Redraw progress bars in place (a TTY) or print plain lines. */
  tty: boolean;
  /** Poll period of the run resource. @default 300 */
  pollMs?: number;
  write?: (text: string) => void;
  /** Where the run is read from (the gateway, or the database with `--direct`). */
  getRun?: (id: string) => Promise<RunResource>;
}

/** What following a run produced, for the summary. */
export interface FollowResult {
  run: RunResource;
  /** Rows per entity known from checkpoint messages (plan rows once the run completed). */
  perEntity: { entity: string; planned: number; written: number }[];
  elapsedMs: number;
}

const BAR = 24;

function bar(done: number, total: number): string {
  const filled = total === 0 ? BAR : Math.round((done / total) * BAR);
  return `[${"#".repeat(filled)}${"-".repeat(BAR - filled)}]`;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, "0")}s`;
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

/**
 * Follows a run until it is terminal: progress bars per entity with rows/s and ETA on a TTY,
 * plain lines (state changes, finished entities) otherwise.
 */
export async function followRun(
  client: GatewayClient | null,
  runId: string,
  plan: BatchPlan,
  options: FollowOptions,
): Promise<FollowResult> {
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const getRun = options.getRun ?? ((id: string) => (client as GatewayClient).getRun(id));
  const progress = createRunProgress(plan);
  const feed = await checkpointFeed(runId, (entity, batchIndex, digest, rows) => {
    progress.commit(entity, batchIndex, digest, rows);
  });
  const started = performance.now();
  const announced = new Set<string>();
  let lastState = "";
  let drawn = 0;
  let run = await getRun(runId);
  try {
    for (;;) {
      if (run.state !== lastState) {
        if (!options.tty || drawn === 0) write(`run ${run.id}: ${run.state}\n`);
        lastState = run.state;
      }
      const entities = progress.perEntity();
      const seconds = (performance.now() - started) / 1000;
      const written = Math.max(run.progress.rows_written, progress.rowsWritten());
      const rate = seconds > 0 ? written / seconds : 0;
      if (options.tty) {
        const lines = entities.map((e) => {
          const eta = rate > 0 ? formatEta((e.planned - e.written) / rate) : "--";
          return `  ${e.entity.padEnd(24)} ${bar(e.written, e.planned)} ${String(e.written).padStart(8)}/${e.planned}  ETA ${eta}`;
        });
        lines.push(
          `  ${"total".padEnd(24)} ${bar(written, plan.totalRows)} ${String(written).padStart(8)}/${plan.totalRows}  ${Math.round(rate)} rows/s  [${run.state}]`,
        );
        write(`${drawn > 0 ? `\x1b[${drawn}A` : ""}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`);
        drawn = lines.length;
      } else {
        for (const e of entities) {
          if (e.written === e.planned && !announced.has(e.entity)) {
            announced.add(e.entity);
            write(`  ${e.entity}: ${e.written}/${e.planned} rows\n`);
          }
        }
      }
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
  return { run, perEntity, elapsedMs: performance.now() - started };
}
