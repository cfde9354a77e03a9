import { TENANT_ID_PATTERN } from "@semente/platform/db";
import { Environment, Mode } from "@semente/core/manifest";
import type { BatchPlan } from "@semente/core/pipeline";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";
import { createGatewayClient, runExitCode } from "../api/client.ts";
import { followRun } from "./seed-follow.ts";
import { evidenceSummary, evidenceWaitMs, postRun, printSummary } from "./seed.ts";

const USAGE = `usage: semente purge --tenant <t> --env <e> [--mode baseline|load|dr] [--follow] [--json]

Submits a purge run through the gateway (POST /api/v1/seed-runs, operation purge) with an admin
token for the tenant and environment (SEMENTE_TOKEN; in dev one is minted locally). The run takes
the tenant's lease like a seed run; a seeder deletes every banking row of the tenant, children
first, in checkpointed chunks, as the data-plane role under RLS, then the tenant's checkpoints of
the mode (default baseline). The run is audited and gets a signed evidence report: rows deleted
per entity and the digest of the emptied data. --follow waits for the end and prints it.

Refused, with nothing deleted: not an admin of that tenant × environment (exit 7), a tenant with
no run and no checkpoint in the environment (exit 9), a tenant another run holds (exit 8, naming
it), a mode the environment does not run (exit 4). Exit codes: 0 completed (or submitted, without
--follow), 2 usage, otherwise the code of the refusal or of the run's reason — see the README.`;

const ENVIRONMENTS: readonly string[] = Object.values(Environment);
const MODES: readonly string[] = Object.values(Mode);
const NO_BATCHES: BatchPlan = { batches: [], rowsPerEntity: {} as BatchPlan["rowsPerEntity"], totalRows: 0, levels: 0 };

function options(values: { tenant?: string; env?: string; mode?: string }) {
  const { tenant, env: environment, mode = "baseline" } = values;
  if (tenant === undefined || environment === undefined)
    throw new UsageError(`--tenant and --env are required\n\n${USAGE}`);
  if (!TENANT_ID_PATTERN.test(tenant)) throw new UsageError("--tenant must match ^[a-z0-9][a-z0-9-]{1,62}$");
  if (!ENVIRONMENTS.includes(environment)) throw new UsageError(`--env must be one of ${ENVIRONMENTS.join(", ")}`);
  if (!MODES.includes(mode)) throw new UsageError(`--mode must be one of ${MODES.join(", ")}`);
  return { tenant, environment, mode };
}

export const purgeCommand: Command = {
  name: "purge",
  summary: "delete a tenant's data as a governed, audited run with evidence (admin)",
  usage: USAGE,
  async run(argv) {
    const { values } = parse(argv, {
      tenant: { type: "string" },
      env: { type: "string" },
      mode: { type: "string" },
      follow: { type: "boolean" },
      json: { type: "boolean" },
    });
    const { tenant, environment, mode } = options(values);
    const client = await createGatewayClient({ roles: ["admin"], tenants: [tenant], environments: [environment] });
    const run = await postRun(
      client,
      { operation: "purge", tenant, environment, mode },
      `cli-purge-${crypto.randomUUID()}`,
    );
    process.stderr.write(`submitted purge run ${run.id} of ${tenant}/${environment} (${mode}): ${run.state}\n`);
    if (!values.follow) {
      out(values.json ? JSON.stringify(run) : run.id);
      return 0;
    }
    const result = await followRun(client, run.id, NO_BATCHES, {
      tty: process.stdout.isTTY === true && !values.json,
      evidenceWaitMs: evidenceWaitMs(),
    });
    const evidence = await evidenceSummary(client, result.run.id, result.evidence);
    if (values.json) {
      out(
        JSON.stringify({ ...result.run, evidence: evidence?.location ?? null, checklist: evidence?.checklist ?? [] }),
      );
    } else printSummary(result, evidence);
    return runExitCode(result.run);
  },
};
