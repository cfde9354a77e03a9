import { readFileSync } from "node:fs";
import { connectNats, createAdmission, natsOptionsFromVars } from "@semente/platform/bus";
import { COMMON_VARS, int, loadConfig, NATS_VARS, str } from "@semente/platform/config";
import { createSql } from "@semente/platform/db";
import { SementeError } from "@semente/core/errors";
import { type Manifest, parseManifest, plannedRows } from "@semente/core/manifest";
import { planBatches } from "@semente/core/pipeline";
import { createRun, getRun, type RunResource, toRunResource } from "@semente/platform/runs";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";
import { createGatewayClient, type GatewayClient, runExitCode, unwrap } from "../api/client.ts";
import { type FollowResult, followRun } from "./seed-follow.ts";

const USAGE = `usage: semente seed --profile <file> [--dry-run] [--follow] [--direct] [--json]

Submits a seed run of the manifest through the gateway (POST /api/v1/seed-runs) with SEMENTE_TOKEN,
or in dev a locally minted token. --follow shows progress (bars per entity on a TTY, plain lines
otherwise) and prints the summary: rows per entity, dataset digest, elapsed time, evidence.
--dry-run runs the whole flow in transactions that roll back. --direct skips the gateway: the run is
created in PostgreSQL (SEMENTE_APP_DATABASE_URL) and admitted through the NATS leases directly.

Exit codes: 0 completed (or submitted, without --follow); otherwise the code of the refusal or of
the run's reason (3 manifest, 4 policy, 5 fail-closed preflight, 6 integrity/DLQ, 7 auth,
8 conflict, 10 unavailable) — see the README.`;

/** The control-plane URL `--direct`, `verify`, `dlq` and `up` use. */
export const APP_DATABASE_URL = COMMON_VARS.SEMENTE_APP_DATABASE_URL;

/** Reads and validates a manifest file (exit 3 on a bad manifest, before anything is sent). */
export function readManifest(path: string): { text: string; manifest: Manifest; hash: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new UsageError(`cannot read ${path}: ${(cause as Error).message}`);
  }
  const parsed = parseManifest(text, { filename: path });
  return { text, manifest: parsed.manifest, hash: parsed.hash };
}

/** Retries of a create the gateway answered 503 + Retry-After. */
const SUBMIT_RETRIES = 3;

/** Submits through the gateway; returns the created (maybe queued) run. */
export async function submitViaGateway(
  client: GatewayClient,
  manifest: string | Manifest,
  dryRun: boolean,
  // By default a new run per invocation: re-submitting after a crash must resume, not replay the old answer.
  idempotencyKey = `cli-seed-${crypto.randomUUID()}`,
): Promise<RunResource> {
  const body = typeof manifest === "string" ? { manifest_yaml: manifest } : { manifest: manifest as never };
  for (let attempt = 1; ; attempt++) {
    const result = await client.api.POST("/api/v1/seed-runs", {
      body: { ...body, dry_run: dryRun },
      params: { header: { "Idempotency-Key": idempotencyKey } },
    });
    // A 503 with Retry-After (the broker is down: nothing was created, the key was released) is
    // retried with the same key, a few times, as the gateway's answer says.
    const retryAfter = Number(result.response.headers.get("retry-after"));
    if (result.response.status !== 503 || !(retryAfter > 0) || attempt > SUBMIT_RETRIES) {
      return unwrap(result) as RunResource;
    }
    process.stderr.write(`gateway unavailable (503); retrying in ${Math.min(retryAfter, 10)} s\n`);
    await Bun.sleep(Math.min(retryAfter, 10) * 1000);
  }
}

async function submitDirect(manifest: Manifest, hash: string, dryRun: boolean) {
  const vars = loadConfig({
    SEMENTE_APP_DATABASE_URL: APP_DATABASE_URL,
    ...NATS_VARS,
    GATEWAY_NATS_NAME_PREFIX: str("Prefix of the admission buckets and run-events stream", ""),
    GATEWAY_NATS_SUBJECT_PREFIX: str("Prefix of the run-event subjects", ""),
  });
  const sql = createSql(vars.SEMENTE_APP_DATABASE_URL, { applicationName: "semente-cli", max: 2 });
  const nc = await connectNats(natsOptionsFromVars(vars, "semente-cli"));
  try {
    const admission = await createAdmission({
      nc,
      sql,
      holderId: `cli-${crypto.randomUUID()}`,
      actor: "cli",
      bucketPrefix: vars.GATEWAY_NATS_NAME_PREFIX,
      events: {
        streamName: `${vars.GATEWAY_NATS_NAME_PREFIX}SEED_RUNS`,
        subjectPrefix: vars.GATEWAY_NATS_SUBJECT_PREFIX,
      },
    });
    const run = await createRun(sql, {
      environment: manifest.metadata.environment,
      tenantId: manifest.metadata.tenant,
      mode: manifest.mode,
      dryRun,
      manifestHash: hash.replace(/^sha256:/, ""),
      manifestVersion: manifest.metadata.version,
      manifest,
      referenceDatetime: manifest.reference_datetime,
      keyVersion: manifest.key_version,
      principal: `cli-${process.env.USER ?? "user"}`,
      queuedUntil: new Date(Date.now() + 300_000),
      rowsPlanned: plannedRows(manifest).total,
      actor: "cli",
    });
    const decision = await admission.submit(run);
    return {
      run: toRunResource(decision.run),
      getRun: async (id: string) => {
        const current = await getRun(sql, id);
        if (current === null) throw new SementeError("NOT_FOUND", `run ${id} not found`);
        return toRunResource(current);
      },
      close: async () => {
        await nc.drain();
        await sql.end({ timeout: 5 });
      },
    };
  } catch (error) {
    await nc.drain();
    await sql.end({ timeout: 5 });
    throw error;
  }
}

/** Prints the final summary of a followed run. */
/** The evidence of an ended run as the summary shows it: where it is stored, and its checklist. */
export interface EvidenceSummary {
  location: string | null;
  checklist: string[];
}

export function printSummary(result: FollowResult, evidence: EvidenceSummary | null): void {
  const { run } = result;
  out("");
  out(`run        ${run.id}`);
  out(`state      ${run.state}${run.dry_run ? " (dry run: nothing kept)" : ""}`);
  for (const e of result.perEntity) out(`  ${e.entity.padEnd(24)} ${String(e.written).padStart(9)} / ${e.planned}`);
  out(`rows       ${run.progress.rows_written} / ${run.progress.rows_planned ?? "?"}`);
  out(`digest     ${run.dataset_digest === null ? "-" : `sha256:${run.dataset_digest}`}`);
  out(`elapsed    ${(result.elapsedMs / 1000).toFixed(1)} s`);
  if (evidence !== null) {
    out(`evidence   ${evidence.location ?? "-"}`);
    if (evidence.checklist.length > 0) out(`checklist  ${evidence.checklist.join(", ")}`);
  }
  if (run.reason !== null) out(`reason     ${run.reason.code}: ${run.reason.detail ?? run.reason.title}`);
}

/** The checklist of a DSSE envelope's payload, as `id status` strings (empty when unreadable). */
export function checklistOf(envelope: unknown): string[] {
  try {
    const payload = (envelope as { payload?: unknown }).payload;
    if (typeof payload !== "string") return [];
    const report = JSON.parse(Buffer.from(payload, "base64").toString("utf8")) as {
      checklist?: { id?: unknown; status?: unknown }[];
    };
    return (report.checklist ?? []).map((c) => `${String(c.id)} ${String(c.status)}`);
  } catch {
    // Unreadable payload: the summary shows no checklist; `semente evidence verify` reports why.
    return [];
  }
}

/** The run's evidence status once the stream named its report: the signed envelope's checklist. */
async function evidenceSummary(client: GatewayClient | null, runId: string, location: string | null) {
  if (location === null) return null;
  if (client === null) return { location, checklist: [] };
  const result = await client.api.GET("/api/v1/seed-runs/{id}/evidence", { params: { path: { id: runId } } });
  // The report was indexed (the stream said so); an answer without it leaves the checklist out.
  return { location, checklist: result.response.ok ? checklistOf(result.data) : [] };
}

export const seedCommand: Command = {
  name: "seed",
  summary: "seed a manifest through the gateway (--dry-run, --follow)",
  usage: USAGE,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        profile: { type: "string" },
        "dry-run": { type: "boolean" },
        follow: { type: "boolean" },
        direct: { type: "boolean" },
        json: { type: "boolean" },
      },
      false,
    );
    if (values.profile === undefined) throw new UsageError(`--profile is required\n\n${USAGE}`);
    const { text, manifest, hash } = readManifest(values.profile);
    const dryRun = values["dry-run"] ?? false;
    const tenant = manifest.metadata.tenant;
    const environment = manifest.metadata.environment;
    const plan = planBatches(manifest);
    let client: GatewayClient | null = null;
    let run: RunResource;
    let direct: Awaited<ReturnType<typeof submitDirect>> | undefined;
    if (values.direct) {
      direct = await submitDirect(manifest, hash, dryRun);
      run = direct.run;
    } else {
      client = await createGatewayClient({ roles: ["seed-runner"], tenants: [tenant], environments: [environment] });
      run = await submitViaGateway(client, text, dryRun);
    }
    try {
      process.stderr.write(
        `submitted run ${run.id} (${manifest.mode}${dryRun ? ", dry run" : ""}) for ${tenant}/${environment}: ${run.state}, ${plan.totalRows} rows in ${plan.batches.length} batches\n`,
      );
      if (!values.follow) {
        out(values.json ? JSON.stringify(run) : run.id);
        return 0;
      }
      const { SEMENTE_EVIDENCE_WAIT_S } = loadConfig({
        SEMENTE_EVIDENCE_WAIT_S: int("Seconds `seed --follow` waits for the run's evidence", "10", 0, 600),
      });
      // The evidence service indexes the report shortly after the run completes: the event stream
      // stays open up to SEMENTE_EVIDENCE_WAIT_S for its `evidence` event (0 skips the wait).
      const result = await followRun(client, run.id, plan, {
        tty: process.stdout.isTTY === true && !values.json,
        getRun: direct?.getRun,
        evidenceWaitMs: SEMENTE_EVIDENCE_WAIT_S * 1000,
      });
      const evidence = await evidenceSummary(client, result.run.id, result.evidence);
      if (values.json) {
        out(
          JSON.stringify({
            ...result.run,
            per_entity: result.perEntity,
            evidence: evidence?.location ?? null,
            checklist: evidence?.checklist ?? [],
          }),
        );
      } else printSummary(result, evidence);
      return runExitCode(result.run);
    } finally {
      await direct?.close();
    }
  },
};
