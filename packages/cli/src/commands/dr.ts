import { int, loadConfig } from "@semente/platform/config";
import { PROBLEM_CATALOG, type ProblemCode, SementeError } from "@semente/core/errors";
import {
  assertEvidenceReport,
  type CheckItem,
  type EvidenceReport,
  parseEnvelope,
  type ReportDr,
  verifyEnvelope,
} from "@semente/platform/evidence";
import { planBatches } from "@semente/core/pipeline";
import type { RunResource } from "@semente/platform/runs";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";
import { createGatewayClient, type GatewayClient, runExitCode } from "../api/client.ts";
import { publicKeyFromJwks } from "./evidence.ts";
import { readManifest, submitViaGateway } from "./seed.ts";
import { followRun } from "./seed-follow.ts";

const USAGE = `usage: semente dr drill --profile <dr manifest> [--json]

Runs a DR drill of a dr-mode manifest through the gateway (POST /api/v1/seed-runs, operation
dr_drill) with an admin token (SEMENTE_TOKEN; in dev one is minted locally): the planner records the
loss instant, purges the tenant (the simulated loss), regenerates it, verifies every row value by
value as the read-only verification role, and the run's signed evidence reports RTO (loss → rows
verified) and RPO (acknowledged data lost; 0 s when every acknowledged batch was regenerated
identically). Follows the run, waits up to SEMENTE_DR_EVIDENCE_WAIT_S for its signed report, checks
the report's signature against the gateway's JWKS, and prints RTO, RPO, their targets and the checklist.

Exit codes: 0 the drill passed (its signed report's dr item passes); 4 RTO or RPO over target
(DR_TARGET_MISSED) or not a dr manifest here (MODE_NOT_ALLOWED); 6 verification found differences
(DATASET_MISMATCH) or the report does not verify; 7 not an admin of the tenant × environment;
8 the tenant is held by another run; 10 the signed report did not appear in time; otherwise the
code of the run's reason (see the README).`;

/** What `dr drill` reads besides the gateway's URL and token. */
export const DR_VARS = {
  SEMENTE_DR_EVIDENCE_WAIT_S: int(
    "Seconds `semente dr drill` waits for the drill's signed report once the run ended",
    "60",
    1,
    3_600,
  ),
} as const;

/** How often the report is asked for while it is awaited. */
const POLL_MS = 500;

/** The run's signed report, once the evidence service indexed it (null when it did not in time). */
async function awaitEnvelope(client: GatewayClient, runId: string, waitMs: number): Promise<unknown | null> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    const result = await client.api.GET("/api/v1/seed-runs/{id}/evidence", { params: { path: { id: runId } } });
    if (result.response.ok) return result.data;
    if (result.response.status !== 404) {
      throw new SementeError("UNAVAILABLE", `the gateway answered ${result.response.status} for the run's evidence`);
    }
    if (performance.now() >= deadline) return null;
    await Bun.sleep(POLL_MS);
  }
}

/** Checks the envelope's signature with the gateway's JWKS and returns the report and the key id. */
async function verifiedReport(
  client: GatewayClient,
  envelope: unknown,
): Promise<{ report: EvidenceReport; keyId: string }> {
  const parsed = parseEnvelope(JSON.stringify(envelope));
  const jwks = await client.api.GET("/api/v1/evidence/keys", {});
  if (!jwks.response.ok) throw new SementeError("UNAVAILABLE", "the gateway did not answer its evidence keys");
  const key = publicKeyFromJwks(JSON.stringify(jwks.data), parsed.signatures[0]?.keyid ?? "");
  const verified = verifyEnvelope(parsed, key);
  const report = JSON.parse(new TextDecoder().decode(verified.payload)) as unknown;
  assertEvidenceReport(report, "EVIDENCE_INVALID");
  return { report, keyId: verified.keyId };
}

const secs = (n: number | null | undefined) => (n === null || n === undefined ? "-" : `${n} s`);

function printDrSection(dr: ReportDr): void {
  const v = dr.verification;
  out(`loss         ${dr.loss_at ?? "-"}`);
  out(`purged       ${dr.purged_at ?? "-"} (${dr.rows_purged ?? "-"} rows and checkpoints deleted)`);
  out(`regenerated  ${dr.regenerated_at ?? "-"}`);
  out(
    v === null
      ? `verified     ${dr.verified_at ?? "-"} (not verified)`
      : `verified     ${dr.verified_at ?? "-"} (${v.rows_compared} rows compared value by value as ${v.role}, ${v.differences} difference(s))`,
  );
  out(`RTO          ${secs(dr.rto_seconds)} (target ${secs(dr.targets?.rto_seconds)})`);
  out(`RPO          ${secs(dr.rpo_seconds)} (target ${secs(dr.targets?.rpo_seconds)}): ${dr.rpo_basis}`);
  for (const d of v?.first_differences ?? []) out(`  difference ${d}`);
}

function printDrill(run: RunResource, dr: ReportDr | undefined, checklist: CheckItem[], keyId: string): void {
  out(`run          ${run.id} (${run.state})`);
  if (dr !== undefined) printDrSection(dr);
  out(`checklist    ${checklist.map((c) => `${c.id} ${c.status}`).join(", ")}`);
  const item = checklist.find((c) => c.id === "dr");
  if (item !== undefined) out(`dr           ${item.status}: ${item.summary}`);
  out(`signature    ok (key ${keyId})`);
  if (run.reason !== null) out(`reason       ${run.reason.code}: ${run.reason.detail ?? run.reason.title}`);
}

/** 0 only for a completed run whose signed report's dr item passes; else one line naming why. */
function drillExitCode(run: RunResource, item: CheckItem | undefined): number {
  if (run.state === "completed" && item?.status === "pass") return 0;
  const code = run.reason?.code;
  if (run.state !== "completed" && (code === undefined || !(code in PROBLEM_CATALOG))) return runExitCode(run);
  const detail = `DR drill ${run.id} ${run.state}: ${item?.summary ?? run.reason?.detail ?? "no dr item"}`;
  throw new SementeError(run.state === "completed" ? "DR_TARGET_MISSED" : (code as ProblemCode), detail);
}

export const drCommand: Command = {
  name: "dr",
  summary: "DR drill of a dr manifest: RTO/RPO measured in the run's signed evidence (admin)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv, { profile: { type: "string" }, json: { type: "boolean" } });
    if (positionals[0] !== "drill" || positionals.length !== 1) throw new UsageError(USAGE);
    if (values.profile === undefined) throw new UsageError(`--profile is required\n\n${USAGE}`);
    const { text, manifest } = readManifest(values.profile);
    const tenant = manifest.metadata.tenant;
    const environment = manifest.metadata.environment;
    const { SEMENTE_DR_EVIDENCE_WAIT_S } = loadConfig(DR_VARS);
    const client = await createGatewayClient({ roles: ["admin"], tenants: [tenant], environments: [environment] });
    const created = await submitViaGateway(client, text, false, undefined, "dr_drill");
    process.stderr.write(`DR drill ${created.id} of ${tenant}/${environment}: ${created.state}\n`);
    const followed = await followRun(client, created.id, planBatches(manifest), {
      tty: process.stdout.isTTY === true && !values.json,
      write: values.json ? () => undefined : undefined,
    });
    const run = followed.run;
    const envelope = await awaitEnvelope(client, run.id, SEMENTE_DR_EVIDENCE_WAIT_S * 1000);
    if (envelope === null) {
      throw new SementeError(
        "UNAVAILABLE",
        `run ${run.id} ended ${run.state} but its signed report did not appear within ${SEMENTE_DR_EVIDENCE_WAIT_S} s; check it later with \`semente evidence verify ${run.id}\``,
      );
    }
    const { report, keyId } = await verifiedReport(client, envelope);
    const item = report.checklist.find((c) => c.id === "dr");
    if (values.json) {
      out(JSON.stringify({ run, dr: report.dr ?? null, checklist: report.checklist, signature_key_id: keyId }));
    } else printDrill(run, report.dr, report.checklist, keyId);
    return drillExitCode(run, item);
  },
};
