import { readFileSync } from "node:fs";
import type { Role } from "@semente/platform/auth";
import { connectNats, natsOptionsFromVars } from "@semente/platform/bus";
import { createAdmission } from "@semente/platform/admission";
import { COMMON_VARS, int, loadConfig, NATS_VARS, notIsolatedDevBecause, oneOf } from "@semente/platform/config";
import { createSql } from "@semente/platform/db";
import { SementeError } from "@semente/core/errors";
import { Environment, type Manifest, parseManifest, plannedRows } from "@semente/core/manifest";
import { KEY_PROVIDER_VARS } from "@semente/platform/pipeline";
import { planBatches } from "@semente/core/pipeline";
import { createRun, getRun, type RunResource, toRunResource } from "@semente/platform/runs";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";
import { createGatewayClient, type GatewayClient, runExitCode, unwrap } from "../api/client.ts";
import { type FollowResult, followRun } from "./seed-follow.ts";

const USAGE = `usage: semente seed --profile <file> [--dry-run | --reseed] [--follow] [--direct] [--json]

Submits a seed run of the manifest through the gateway (POST /api/v1/seed-runs) with SEMENTE_TOKEN,
or in dev a locally minted token. A tenant whose data does not match the manifest (another version,
reference_datetime, key version or row counts) is refused, naming what drifted; --reseed (admin
token) replaces it: one run deletes the tenant's rows and its checkpoints of the manifest's mode,
then seeds the manifest, under one lease, with one evidence report. --follow shows progress (bars per entity on a TTY, plain lines
otherwise) and prints the summary: rows per entity, dataset digest, elapsed time, evidence.
--dry-run runs the whole flow in transactions that roll back. --direct skips the gateway: the run is
created in PostgreSQL (SEMENTE_APP_DATABASE_URL) and admitted through the NATS leases directly; it
is allowed only in isolated dev (a dev manifest, SEMENTE_ENV=dev, SEMENTE_ISOLATED_DEV=true, CI
unset), else exit 4 (DIRECT_NOT_ALLOWED) before anything is written.

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

/** The JSON body of `POST /api/v1/seed-runs`, whatever the operation. */
type CreateRunBody = Record<string, unknown>;

/**
 * `POST /api/v1/seed-runs` with `body` under `idempotencyKey`; a 503 with Retry-After (the broker
 * is down: nothing was created, the key was released) is retried with the same key, a few times,
 * as the gateway's answer says. Returns the created (maybe queued) run; throws the gateway's refusal.
 */
export async function postRun(
  client: GatewayClient,
  body: CreateRunBody,
  idempotencyKey: string,
): Promise<RunResource> {
  for (let attempt = 1; ; attempt++) {
    const result = await client.api.POST("/api/v1/seed-runs", {
      body: body as never,
      params: { header: { "Idempotency-Key": idempotencyKey } },
    });
    const retryAfter = Number(result.response.headers.get("retry-after"));
    if (result.response.status !== 503 || !(retryAfter > 0) || attempt > SUBMIT_RETRIES) {
      return unwrap(result) as RunResource;
    }
    process.stderr.write(`gateway unavailable (503); retrying in ${Math.min(retryAfter, 10)} s\n`);
    await Bun.sleep(Math.min(retryAfter, 10) * 1000);
  }
}

/** What decides whether `--direct` is allowed (README configuration table). */
export const DIRECT_VARS = {
  SEMENTE_ENV: oneOf("Deployment environment of this process", Object.values(Environment), "dev"),
  SEMENTE_ISOLATED_DEV: KEY_PROVIDER_VARS.SEMENTE_ISOLATED_DEV,
} as const;

/**
 * `--direct` bypasses the gateway's governance (token, environment binding, rate limits), so it
 * is for isolated dev only (R4.4's definition, R6.10): throws DIRECT_NOT_ALLOWED otherwise.
 */
export function assertDirectAllowed(manifest: Manifest, env: Record<string, string | undefined> = process.env): void {
  const vars = loadConfig(DIRECT_VARS, env);
  const why =
    manifest.metadata.environment !== vars.SEMENTE_ENV
      ? `the manifest is for ${manifest.metadata.environment}, SEMENTE_ENV is ${vars.SEMENTE_ENV}`
      : notIsolatedDevBecause({ environment: vars.SEMENTE_ENV, isolatedDev: vars.SEMENTE_ISOLATED_DEV, env });
  if (why !== undefined) {
    throw new SementeError(
      "DIRECT_NOT_ALLOWED",
      `--direct is allowed only in isolated dev (${why}); submit through the gateway instead`,
    );
  }
}

/** Submits a manifest through the gateway (a seed, a reseed or a DR drill); returns the created run. */
export async function submitViaGateway(
  client: GatewayClient,
  manifest: string | Manifest,
  dryRun: boolean,
  // By default a new run per invocation: re-submitting after a crash must resume, not replay the old answer.
  idempotencyKey = `cli-seed-${crypto.randomUUID()}`,
  operation: "seed" | "reseed" | "dr_drill" = "seed",
): Promise<RunResource> {
  const body = typeof manifest === "string" ? { manifest_yaml: manifest } : { manifest: manifest as never };
  const request = operation === "seed" ? { ...body, dry_run: dryRun } : { ...body, operation };
  return postRun(client, request, idempotencyKey);
}

async function submitDirect(manifest: Manifest, hash: string, dryRun: boolean) {
  const vars = loadConfig({
    SEMENTE_APP_DATABASE_URL: APP_DATABASE_URL,
    ...NATS_VARS,
    CONTROL_NATS_NAME_PREFIX: COMMON_VARS.CONTROL_NATS_NAME_PREFIX,
    CONTROL_NATS_SUBJECT_PREFIX: COMMON_VARS.CONTROL_NATS_SUBJECT_PREFIX,
  });
  const sql = createSql(vars.SEMENTE_APP_DATABASE_URL, { applicationName: "semente-cli", max: 2 });
  const nc = await connectNats(natsOptionsFromVars(vars, "semente-cli"));
  try {
    const admission = await createAdmission({
      nc,
      sql,
      holderId: `cli-${crypto.randomUUID()}`,
      actor: "cli",
      bucketPrefix: vars.CONTROL_NATS_NAME_PREFIX,
      events: {
        streamName: `${vars.CONTROL_NATS_NAME_PREFIX}SEED_RUNS`,
        subjectPrefix: vars.CONTROL_NATS_SUBJECT_PREFIX,
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

/**
 * How long `--follow` keeps the event stream open after the run ended for its evidence report
 * (SEMENTE_EVIDENCE_WAIT_S; 0 skips the wait): the evidence service indexes it shortly after.
 */
export function evidenceWaitMs(): number {
  const { SEMENTE_EVIDENCE_WAIT_S } = loadConfig({
    SEMENTE_EVIDENCE_WAIT_S: int("Seconds `seed --follow` waits for the run's evidence", "10", 0, 600),
  });
  return SEMENTE_EVIDENCE_WAIT_S * 1000;
}

/** The evidence of an ended run as the summary shows it: where it is stored, and its checklist. */
export interface EvidenceSummary {
  location: string | null;
  checklist: string[];
}

/** Prints the final summary of a followed run. */
export function printSummary(result: FollowResult, evidence: EvidenceSummary | null): void {
  const { run } = result;
  out("");
  out(`run        ${run.id}`);
  out(`state      ${run.state}${run.dry_run ? " (dry run: nothing kept)" : ""}`);
  for (const e of result.perEntity) out(`  ${e.entity.padEnd(24)} ${String(e.written).padStart(9)} / ${e.planned}`);
  if (run.progress.rows_deleted !== undefined) out(`deleted    ${run.progress.rows_deleted ?? "-"}`);
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
export async function evidenceSummary(client: GatewayClient | null, runId: string, location: string | null) {
  if (location === null) return null;
  if (client === null) return { location, checklist: [] };
  const result = await client.api.GET("/api/v1/seed-runs/{id}/evidence", { params: { path: { id: runId } } });
  // The report was indexed (the stream said so); an answer without it leaves the checklist out.
  return { location, checklist: result.response.ok ? checklistOf(result.data) : [] };
}

/** Submits the manifest through the gateway, or with `direct` straight to PostgreSQL and the NATS leases. */
async function submit(o: {
  manifest: Manifest;
  text: string;
  hash: string;
  dryRun: boolean;
  reseed: boolean;
  direct?: boolean;
}): Promise<{ client: GatewayClient | null; run: RunResource; direct?: Awaited<ReturnType<typeof submitDirect>> }> {
  if (o.reseed && o.dryRun) throw new UsageError("--reseed deletes data: it cannot be a --dry-run");
  if (o.reseed && o.direct) throw new UsageError("--reseed goes through the gateway (admin token): drop --direct");
  if (o.direct) {
    assertDirectAllowed(o.manifest);
    const direct = await submitDirect(o.manifest, o.hash, o.dryRun);
    return { client: null, run: direct.run, direct };
  }
  const { tenant, environment } = o.manifest.metadata;
  const roles: Role[] = o.reseed ? ["admin"] : ["seed-runner"];
  const client = await createGatewayClient({ roles, tenants: [tenant], environments: [environment] });
  return { client, run: await submitViaGateway(client, o.text, o.dryRun, undefined, o.reseed ? "reseed" : "seed") };
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
        reseed: { type: "boolean" },
        follow: { type: "boolean" },
        direct: { type: "boolean" },
        json: { type: "boolean" },
      },
      false,
    );
    if (values.profile === undefined) throw new UsageError(`--profile is required\n\n${USAGE}`);
    const { text, manifest, hash } = readManifest(values.profile);
    const dryRun = values["dry-run"] ?? false;
    const reseed = values.reseed ?? false;
    const tenant = manifest.metadata.tenant;
    const environment = manifest.metadata.environment;
    const plan = planBatches(manifest);
    const { client, run, direct } = await submit({ manifest, text, hash, dryRun, reseed, direct: values.direct });
    try {
      process.stderr.write(
        `submitted ${reseed ? "reseed " : ""}run ${run.id} (${manifest.mode}${dryRun ? ", dry run" : ""}) for ${tenant}/${environment}: ${run.state}, ${plan.totalRows} rows in ${plan.batches.length} batches\n`,
      );
      if (!values.follow) {
        out(values.json ? JSON.stringify(run) : run.id);
        return 0;
      }

      // The evidence service indexes the report shortly after the run completes: the event stream
      // stays open up to SEMENTE_EVIDENCE_WAIT_S for its `evidence` event (0 skips the wait).
      const result = await followRun(client, run.id, plan, {
        tty: process.stdout.isTTY === true && !values.json,
        getRun: direct?.getRun,
        evidenceWaitMs: evidenceWaitMs(),
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
