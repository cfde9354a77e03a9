import type { Admission, SubmitResult } from "../admission/types.ts";
import { type Sql, TENANT_ID_PATTERN, withTenant } from "../db/index.ts";
import { isSementeError, type ProblemIssue, SementeError, toProblem } from "@semente/core/errors";
import { sha256Hex } from "../request-guards/fingerprint.ts";
import { canonicalJson, Environment, isModeAllowed, Mode } from "@semente/core/manifest";
import { createRun, type NewRun, type Run, type RunMode, withdrawRun } from "../runs/index.ts";
import { RunOperation } from "./types.ts";

/** A request to purge one tenant's data in one environment. */
export interface PurgeRequest {
  tenantId: string;
  environment: string;
  /** Whose checkpoints are cleared (the tenant's banking rows carry no mode: all of them go). */
  mode: RunMode;
}

/** Version of the purge request document a purge run stores as its manifest. */
export const PURGE_REQUEST_VERSION = "purge-request/v1";

/** The document a purge run stores in `seed.runs.manifest`, and its hash (`manifest_hash`, bare hex). */
export function purgeRequestDocument(request: PurgeRequest): { document: Record<string, string>; hash: string } {
  const document = {
    kind: PURGE_REQUEST_VERSION,
    operation: RunOperation.purge,
    tenant: request.tenantId,
    environment: request.environment,
    mode: request.mode,
  };
  return { document, hash: sha256Hex(canonicalJson(document)) };
}

/** Refuses a malformed purge request (422 `VALIDATION_FAILED`) or a mode the environment does not run (403). */
export function assertPurgeRequest(request: PurgeRequest): void {
  const issues: ProblemIssue[] = [];
  if (typeof request.tenantId !== "string" || !TENANT_ID_PATTERN.test(request.tenantId))
    issues.push({ pointer: "/tenant", message: "must be a tenant slug" });
  const environments: readonly string[] = Object.values(Environment);
  if (!environments.includes(request.environment))
    issues.push({ pointer: "/environment", message: `must be one of ${environments.join(", ")}` });
  const modes: readonly string[] = Object.values(Mode);
  if (!modes.includes(request.mode)) issues.push({ pointer: "/mode", message: `must be one of ${modes.join(", ")}` });
  if (issues.length > 0) throw new SementeError("VALIDATION_FAILED", "invalid purge request", { errors: issues });
  if (!isModeAllowed(request.environment as Environment, request.mode)) {
    throw new SementeError("MODE_NOT_ALLOWED", `mode ${request.mode} does not run in ${request.environment}`);
  }
}

/** The reference_datetime and key version of the data a purge removes. */
export interface PurgedDatasetFacts {
  referenceDatetime: Date;
  keyVersion: number;
}

/**
 * What the tenant's data in the environment was generated with: its newest checkpoint of the
 * mode, else its newest checkpoint, else its newest run. Null when the tenant has neither a run
 * nor a checkpoint in the environment — a tenant the product never wrote there (unknown: 404).
 * Every row the product writes is written under a run, and runs are never deleted.
 */
export async function purgedDatasetFacts(sql: Sql, request: PurgeRequest): Promise<PurgedDatasetFacts | null> {
  const { tenantId, environment, mode } = request;
  const checkpoint = await withTenant(
    sql,
    tenantId,
    (tx) => tx<{ reference_datetime: Date; key_version: number }[]>`
      select reference_datetime, key_version from seed.checkpoints
       where tenant_id = ${tenantId} and environment = ${environment}
       order by (mode = ${mode}) desc, committed_at desc limit 1`,
    { readOnly: true },
  );
  const [row] = checkpoint.length > 0 ? checkpoint : await newestRun(sql, tenantId, environment);
  return row === undefined ? null : { referenceDatetime: row.reference_datetime, keyVersion: row.key_version };
}

function newestRun(sql: Sql, tenantId: string, environment: string) {
  return sql<{ reference_datetime: Date; key_version: number }[]>`
    select reference_datetime, key_version from seed.runs
     where tenant_id = ${tenantId} and environment = ${environment} and not dry_run
     order by created_at desc limit 1`;
}

/** States in which a run holds (or is about to hold) its tenant's lease. */
const HOLDING_STATES = ["admitted", "planning", "running", "paused"] as const;

/**
 * Refuses (409 `LEASE_HELD`, naming the holder in `holder_run`) while another run holds the
 * tenant × environment: the admission lease in KV, or a run the database still shows admitted,
 * planning, running or paused (its planner may have died with the lease expired). A purge or
 * reseed is never queued behind a run that is writing the tenant.
 */
export async function assertTenantFree(
  sql: Sql,
  admission: Pick<Admission, "tenantHolder">,
  tenantId: string,
  environment: string,
): Promise<void> {
  let holder = await admission.tenantHolder(environment, tenantId);
  if (holder === null) {
    const [row] = await sql<{ id: string }[]>`
      select id from seed.runs where tenant_id = ${tenantId} and environment = ${environment}
         and state = any(${HOLDING_STATES as unknown as string[]}) order by created_at limit 1`;
    holder = row?.id ?? null;
  }
  if (holder !== null) {
    throw new SementeError("LEASE_HELD", `tenant ${tenantId} in ${environment} is held by run ${holder}`, {
      extensions: { holder_run: holder },
    });
  }
}

/** The `seed.runs` row of a purge run (queued). */
export function newPurgeRun(
  request: PurgeRequest,
  facts: PurgedDatasetFacts,
  who: { principal: string; actor?: string; traceId?: string; queuedUntil: Date },
): NewRun {
  const { document, hash } = purgeRequestDocument(request);
  return {
    environment: request.environment,
    tenantId: request.tenantId,
    mode: request.mode,
    operation: RunOperation.purge,
    dryRun: false,
    manifestHash: hash,
    manifestVersion: PURGE_REQUEST_VERSION,
    manifest: document,
    referenceDatetime: facts.referenceDatetime,
    keyVersion: facts.keyVersion,
    principal: who.principal,
    actor: who.actor,
    traceId: who.traceId,
    queuedUntil: who.queuedUntil,
    rowsPlanned: 0,
  };
}

/**
 * The checks before a purge run is created, in order: the request (422/403), the tenant is known
 * in the environment (404), no other run holds it (409). Writes nothing. Returns the facts of the
 * data it will remove.
 */
export async function checkPurge(
  sql: Sql,
  admission: Pick<Admission, "tenantHolder">,
  request: PurgeRequest,
): Promise<PurgedDatasetFacts> {
  assertPurgeRequest(request);
  const facts = await purgedDatasetFacts(sql, request);
  if (facts === null) {
    throw new SementeError(
      "NOT_FOUND",
      `tenant ${request.tenantId} has no run and no checkpoint in ${request.environment}: nothing to purge`,
    );
  }
  await assertTenantFree(sql, admission, request.tenantId, request.environment);
  return facts;
}

/** Dependencies of {@link submitPurgeRun}. */
export interface SubmitPurgeDeps {
  /** Control-plane pool (semente_app). */
  sql: Sql;
  admission: Pick<Admission, "submit" | "tenantHolder">;
  now: () => Date;
  /** @default 300_000 */
  queueTtlMs?: number;
}

/**
 * Submits a purge run the way the gateway does, for callers that already decided it is allowed
 * (a planner job, `semente purge --direct`): checks ({@link checkPurge}), creates the run `queued`
 * and submits it to admission, which takes the tenant lease like any run. When admission fails for
 * a reason other than a refusal of its own (the broker did not answer), the run is withdrawn, so
 * a failure leaves nothing behind. Authorization is the caller's.
 */
export async function submitPurgeRun(
  deps: SubmitPurgeDeps,
  request: PurgeRequest & { principal: string; actor?: string; traceId?: string },
): Promise<SubmitResult> {
  const facts = await checkPurge(deps.sql, deps.admission, request);
  const queuedUntil = new Date(deps.now().getTime() + (deps.queueTtlMs ?? 300_000));
  const created: Run = await createRun(deps.sql, newPurgeRun(request, facts, { ...request, queuedUntil }));
  try {
    return await deps.admission.submit(created);
  } catch (error) {
    if (isSementeError(error) && error.status < 500) throw error;
    const problem = toProblem(new SementeError("UNAVAILABLE", "admission failed: no purge run was created"));
    await withdrawRun(deps.sql, created, problem, request.actor ?? request.principal);
    throw error;
  }
}
