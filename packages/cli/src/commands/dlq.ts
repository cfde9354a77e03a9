import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "@semente/shared/bus";
import { COMMON_VARS, loadConfig } from "@semente/shared/config";
import { createSql } from "@semente/shared/db";
import { SementeError } from "@semente/shared/errors";
import type { Manifest } from "@semente/shared/manifest";
import { listDlq, PIPELINE_VARS, pipelineNames, planBatches, replayDlq } from "@semente/shared/pipeline";
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
replay re-publishes a dead batch once its fault is fixed. A dead batch fails its run (fail-closed),
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
  const vars = loadConfig({ NATS_URL: COMMON_VARS.NATS_URL, ...PIPELINE_VARS });
  const nc = await connectNats({ servers: vars.NATS_URL, name: "semente-cli-dlq" });
  const names = pipelineNames({
    namePrefix: vars.PIPELINE_NATS_NAME_PREFIX,
    subjectPrefix: vars.PIPELINE_NATS_SUBJECT_PREFIX,
  });
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc), names };
}

async function runOf(runId: string): Promise<{ state: string; manifest: Manifest } | null> {
  const { SEMENTE_APP_DATABASE_URL } = loadConfig({ SEMENTE_APP_DATABASE_URL: APP_DATABASE_URL });
  const sql = createSql(SEMENTE_APP_DATABASE_URL, { applicationName: "semente-cli-dlq", max: 1 });
  try {
    const [row] = await sql<
      { state: string; manifest: Manifest }[]
    >`SELECT state, manifest FROM seed.runs WHERE id = ${runId}`;
    return row ?? null;
  } finally {
    await sql.end({ timeout: 5 });
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
    const run = record.batch === null ? null : await runOf(record.batch.runId);
    if (run === null || !isTerminalState(run.state as never)) {
      const result = await withBroker(({ js, jsm, names }) => replayDlq(js, jsm, names, id));
      out(`re-published ${id} to ${result.stream} #${result.seq}${result.duplicate ? " (already replayed)" : ""}`);
      return 0;
    }
    const manifest = run.manifest;
    const client = await createGatewayClient({
      roles: ["seed-runner"],
      tenants: [manifest.metadata.tenant],
      environments: [manifest.metadata.environment],
    });
    const created = await submitViaGateway(client, manifest, record.batch?.dryRun ?? false);
    process.stderr.write(
      `run ${record.batch?.runId} is ${run.state}: re-submitted its manifest as run ${created.id} (resume)\n`,
    );
    if (!values.follow) {
      out(created.id);
      return 0;
    }
    const result = await followRun(client, created.id, planBatches(manifest), { tty: process.stdout.isTTY === true });
    printSummary(result, null);
    return runExitCode(result.run);
  },
};
