import type { RunResource } from "@semente/platform/runs";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";
import { createGatewayClient, unwrap } from "../api/client.ts";

const USAGE = `usage: semente runs --tenant <t> --env <e> [--state <state>] [--limit 20] [--json]

Lists seed runs through the gateway (GET /api/v1/seed-runs), newest first: id, state, mode, rows
written / planned, dataset digest and, for failed or refused runs, the problem code.`;

export const runsCommand: Command = {
  name: "runs",
  summary: "list seed runs (tenant, environment, state)",
  usage: USAGE,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        tenant: { type: "string" },
        env: { type: "string" },
        state: { type: "string" },
        limit: { type: "string" },
        json: { type: "boolean" },
      },
      false,
    );
    if (values.tenant === undefined || values.env === undefined) {
      throw new UsageError(`--tenant and --env are required\n\n${USAGE}`);
    }
    const client = await createGatewayClient({ roles: ["read"], tenants: [values.tenant], environments: [values.env] });
    const query = {
      tenant: values.tenant,
      // The gateway validates both (a 400/422 problem names a bad one).
      environment: values.env as "dev",
      limit: Number(values.limit ?? "20"),
      ...(values.state === undefined ? {} : { state: values.state as never }),
    };
    const page = unwrap(await client.api.GET("/api/v1/seed-runs", { params: { query } }));
    const items = page.items as unknown as RunResource[];
    if (values.json) {
      out(JSON.stringify(items));
      return 0;
    }
    out(`${"id".padEnd(36)}  ${"state".padEnd(9)}  ${"mode".padEnd(8)}  ${"rows".padStart(17)}  digest / reason`);
    for (const r of items) {
      const rows = `${r.progress.rows_written}/${r.progress.rows_planned ?? "?"}`;
      const tail =
        r.reason !== null
          ? r.reason.code
          : r.dataset_digest === null
            ? "-"
            : `sha256:${r.dataset_digest.slice(0, 16)}…`;
      out(
        `${r.id}  ${r.state.padEnd(9)}  ${(r.mode + (r.dry_run ? "*" : "")).padEnd(8)}  ${rows.padStart(17)}  ${tail}`,
      );
    }
    if (items.some((r) => r.dry_run)) out("(* dry run)");
    return 0;
  },
};
