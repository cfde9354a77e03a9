import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats, natsOptionsFromVars } from "@semente/platform/bus";
import { loadConfig, NATS_VARS } from "@semente/platform/config";
import { createSql, type Sql } from "@semente/platform/db";
import { SementeError } from "@semente/core/errors";
import type { Manifest } from "@semente/core/manifest";
import {
  type DlqRecord,
  type DlqReplayOutcome,
  listDlq,
  PIPELINE_VARS,
  pipelineNames,
  replayDeadBatch,
} from "@semente/platform/pipeline";
import { planBatches } from "@semente/core/pipeline";
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

function describe(record: DlqRecord, outcome: DlqReplayOutcome, runId: string | null): string {
  if (outcome.kind === "already") {
    const into =
      outcome.replayRun === null ? `re-published as ${outcome.republished}` : `resumed as run ${outcome.replayRun}`;
    return `${record.id} was already replayed (${into}); nothing replayed again`;
  }
  if (outcome.kind === "republished") {
    return `re-published ${record.id} to ${outcome.republished.replace(":", " #")}${outcome.duplicate ? " (already replayed)" : ""}`;
  }
  return `run ${runId} is ${outcome.sourceState}: re-submitted its manifest as run ${outcome.replayRun} (resume)`;
}

/** Replays one dead batch at most once, through the shared implementation the gateway also uses. */
async function replay(sql: Sql, record: DlqRecord, followIt: boolean): Promise<number> {
  const principal = `cli:${process.env.USER ?? "unknown"}`;
  const runId = record.batch?.runId ?? null;
  const outcome = await withBroker(({ js, jsm, names }) =>
    replayDeadBatch(
      {
        sql,
        js,
        jsm,
        names,
        resubmit: async (manifest, dryRun, key) =>
          (await submitViaGateway(await gatewayClientFor(manifest), manifest, dryRun, key)).id,
      },
      record,
      principal,
    ),
  );
  const line = describe(record, outcome, runId);
  if (outcome.kind === "republished") {
    out(line);
    return 0;
  }
  process.stderr.write(`${line}\n`);
  const target = outcome.replayRun;
  const run = runId === null ? null : await runOf(sql, runId);
  if (followIt && target !== null && run !== null) return follow(target, run.manifest);
  out(target ?? (outcome.kind === "already" ? (outcome.republished ?? "") : ""));
  return 0;
}

/** `<id>  run <run> <entity>#<batch> [from,to)  deliveries=<n>  <code>: <message>` */
function recordLine(r: DlqRecord): string {
  const b = r.batch;
  const what = b === null ? "(unreadable payload)" : `run ${b.runId} ${b.entity}#${b.batchIndex} [${b.from},${b.to})`;
  return `${r.id}  ${what}  deliveries=${r.deliveries}  ${r.lastError === null ? "" : `${r.lastError.code}: ${r.lastError.message}`}`;
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
        for (const r of records) out(recordLine(r));
      }
      return 0;
    }
    if (verb !== "replay" || id === undefined) throw new UsageError(USAGE);
    const record = (await withBroker(({ jsm, names }) => listDlq(jsm, names))).find((r) => r.id === id);
    if (record === undefined) throw new SementeError("NOT_FOUND", `no dead batch ${id}`);
    return withControlPlane((sql) => replay(sql, record, values.follow === true));
  },
};
