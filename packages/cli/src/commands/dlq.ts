import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats, natsOptionsFromVars } from "@semente/shared/bus";
import { loadConfig, NATS_VARS } from "@semente/shared/config";
import { createSql, type Sql } from "@semente/shared/db";
import { SementeError } from "@semente/shared/errors";
import type { Manifest } from "@semente/shared/manifest";
import {
  abandonDlqReplay,
  claimDlqReplay,
  completeDlqReplay,
  type DlqRecord,
  listDlq,
  PIPELINE_VARS,
  pipelineNames,
  planBatches,
  replayDlq,
} from "@semente/shared/pipeline";
import { isTerminalState } from "@semente/shared/runs";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";
import { createGatewayClient, runExitCode } from "../api/client.ts";
import { APP_DATABASE_URL, printSummary, submitViaGateway } from "./seed.ts";
import { followRun } from "./seed-follow.ts";

const USAGE = `usage: semente dlq list [--json]
       semente dlq replay <id> [--follow]

list   dead batches in SEED_DLQ (id = <stream>:<seq>, run, entity, batch, deliveries, last error).
replay re-publishes a dead batch once its fault is fixed, at most once per dead batch (a second
       replay of the same id reports what the first one did, and follows its run with --follow). A dead batch fails its run (fail-closed),
       so when that run is already terminal the replay re-submits the run's manifest through the
       gateway: the new run skips every checkpointed batch and re-plans the dead one (resume), and
       ends with the same dataset digest. Otherwise the batch is re-published to its stream as is.

nats CLI equivalents: \`nats stream view SEED_DLQ --subject 'seed.dlq.>'\`, then
\`nats stream get SEED_DLQ <dlq seq>\` and \`nats pub <Semente-Source-Subject> '<payload>' -H Nats-Msg-Id:replay:<id>\`.`;

async function withBroker<T>(fn: (ctx: Awaited<ReturnType<typeof broker>>) => Promise<T>): Promise<T> {
  const ctx = await broker();
  try {
    return await fn(ctx);
  } finally {
    await ctx.nc.drain();
  }
}

async function broker() {
  const vars = loadConfig({ ...NATS_VARS, ...PIPELINE_VARS });
  const nc = await connectNats(natsOptionsFromVars(vars, "semente-cli-dlq"));
  const names = pipelineNames({
    namePrefix: vars.PIPELINE_NATS_NAME_PREFIX,
    subjectPrefix: vars.PIPELINE_NATS_SUBJECT_PREFIX,
  });
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc), names };
}

async function withControlPlane<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  const { SEMENTE_APP_DATABASE_URL } = loadConfig({ SEMENTE_APP_DATABASE_URL: APP_DATABASE_URL });
  const sql = createSql(SEMENTE_APP_DATABASE_URL, { applicationName: "semente-cli-dlq", max: 1 });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function runOf(sql: Sql, runId: string): Promise<{ state: string; manifest: Manifest } | null> {
  const [row] = await sql<{ state: string; manifest: Manifest }[]>`
    SELECT state, manifest FROM seed.runs WHERE id = ${runId}`;
  return row ?? null;
}

async function follow(runId: string, manifest: Manifest): Promise<number> {
  const client = await gatewayClientFor(manifest);
  const result = await followRun(client, runId, planBatches(manifest), { tty: process.stdout.isTTY === true });
  printSummary(result, null);
  return runExitCode(result.run);
}

function gatewayClientFor(manifest: Manifest) {
  return createGatewayClient({
    roles: ["seed-runner"],
    tenants: [manifest.metadata.tenant],
    environments: [manifest.metadata.environment],
  });
}

/**
 * Replays one dead batch at most once: the replay is claimed in seed.dlq_replays first, so a second
 * replay of the same record reports the run the first one resumed instead of resuming another.
 */
async function replay(sql: Sql, record: DlqRecord, followIt: boolean): Promise<number> {
  const principal = `cli:${process.env.USER ?? "unknown"}`;
  const runId = record.batch?.runId ?? null;
  const claim = await claimDlqReplay(sql, { id: record.id, dlqSeq: record.dlqSeq, runId }, principal);
  if (claim.kind === "in_progress") {
    throw new SementeError("IDEMPOTENCY_IN_FLIGHT", `a replay of ${record.id} is under way`, {
      extensions: { claimed_at: claim.claimedAt.toISOString() },
    });
  }
  const run = runId === null ? null : await runOf(sql, runId);
  if (claim.kind === "done") {
    const into =
      claim.replayRun === null ? `re-published as ${claim.republished}` : `resumed as run ${claim.replayRun}`;
    process.stderr.write(`${record.id} was already replayed (${into}); nothing replayed again\n`);
    if (followIt && claim.replayRun !== null && run !== null) return follow(claim.replayRun, run.manifest);
    out(claim.replayRun ?? claim.republished ?? "");
    return 0;
  }
  try {
    if (run === null || !isTerminalState(run.state as never)) {
      const result = await withBroker(({ js, jsm, names }) => replayDlq(js, jsm, names, record.id));
      await completeDlqReplay(sql, record.id, { republished: `${result.stream}:${result.seq}` });
      out(
        `re-published ${record.id} to ${result.stream} #${result.seq}${result.duplicate ? " (already replayed)" : ""}`,
      );
      return 0;
    }
    // The key ties the resume run to this record: a crash before the outcome is recorded, then a
    // retry, gets the same run back from the gateway (within the key's retention).
    const created = await submitViaGateway(
      await gatewayClientFor(run.manifest),
      run.manifest,
      record.batch?.dryRun ?? false,
      `dlq-replay-${record.id}`,
    );
    await completeDlqReplay(sql, record.id, { replayRun: created.id });
    process.stderr.write(`run ${runId} is ${run.state}: re-submitted its manifest as run ${created.id} (resume)\n`);
    if (!followIt) {
      out(created.id);
      return 0;
    }
    return follow(created.id, run.manifest);
  } catch (error) {
    await abandonDlqReplay(sql, record.id);
    throw error;
  }
}

export const dlqCommand: Command = {
  name: "dlq",
  summary: "list or replay dead batches (advisory DLQ)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv, { json: { type: "boolean" }, follow: { type: "boolean" } });
    const [verb, id] = positionals;
    if (verb === "list") {
      const records = await withBroker(({ jsm, names }) => listDlq(jsm, names));
      if (values.json) out(JSON.stringify(records));
      else {
        if (records.length === 0) out("no dead batches");
        for (const r of records) {
          const b = r.batch;
          const what =
            b === null ? "(unreadable payload)" : `run ${b.runId} ${b.entity}#${b.batchIndex} [${b.from},${b.to})`;
          out(
            `${r.id}  ${what}  deliveries=${r.deliveries}  ${r.lastError === null ? "" : `${r.lastError.code}: ${r.lastError.message}`}`,
          );
        }
      }
      return 0;
    }
    if (verb !== "replay" || id === undefined) throw new UsageError(USAGE);
    const record = (await withBroker(({ jsm, names }) => listDlq(jsm, names))).find((r) => r.id === id);
    if (record === undefined) throw new SementeError("NOT_FOUND", `no dead batch ${id}`);
    return withControlPlane((sql) => replay(sql, record, values.follow === true));
  },
};
