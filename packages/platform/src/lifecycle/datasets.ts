import type { Admission } from "../admission/types.ts";
import { appendAudit, type Sql } from "../db/index.ts";
import { isSementeError } from "@semente/core/errors";
import type { RunMode } from "../runs/index.ts";
import { everyInterval } from "./retention.ts";
import { submitPurgeRun } from "./submit.ts";

/** A row of `seed.datasets` (migration 0141): the data a run wrote for a tenant in an environment. */
export interface Dataset {
  id: number;
  tenantId: string;
  environment: string;
  mode: RunMode;
  /** The seed or reseed run that wrote it. */
  runId: string;
  manifestHash: string;
  datasetDigest: string | null;
  rowsWritten: number;
  /** The manifest's `ttl` for the mode, as written (`P7D`). */
  ttl: string | null;
  createdAt: Date;
  /** When the clean-up job purges it (load and DR); null for baseline. */
  expiresAt: Date | null;
  /** The purge run the clean-up job last submitted for it. */
  cleanupRunId: string | null;
  closedAt: Date | null;
  closedByRun: string | null;
  closedReason: "purged" | "replaced" | null;
}

interface DatasetRow {
  id: string;
  tenant_id: string;
  environment: string;
  mode: RunMode;
  run_id: string;
  manifest_hash: string;
  dataset_digest: string | null;
  rows_written: string;
  ttl: string | null;
  created_at: Date;
  expires_at: Date | null;
  cleanup_run_id: string | null;
  closed_at: Date | null;
  closed_by_run: string | null;
  closed_reason: "purged" | "replaced" | null;
}

function toDataset(r: DatasetRow): Dataset {
  return {
    id: Number(r.id),
    tenantId: r.tenant_id,
    environment: r.environment,
    mode: r.mode,
    runId: r.run_id,
    manifestHash: r.manifest_hash,
    datasetDigest: r.dataset_digest,
    rowsWritten: Number(r.rows_written),
    ttl: r.ttl,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    cleanupRunId: r.cleanup_run_id,
    closedAt: r.closed_at,
    closedByRun: r.closed_by_run,
    closedReason: r.closed_reason,
  };
}

/** The registry rows of a tenant in an environment, newest first (open and closed). */
export async function tenantDatasets(sql: Sql, tenantId: string, environment: string): Promise<Dataset[]> {
  const rows = await sql<DatasetRow[]>`
    select * from seed.datasets where tenant_id = ${tenantId} and environment = ${environment}
     order by created_at desc, id desc`;
  return rows.map(toDataset);
}

/**
 * Open datasets expired at `at` that need a purge: none submitted yet, or the last one ended
 * without purging (failed, cancelled, expired, aborted). One whose purge run is still in flight, or
 * completed, is left alone.
 */
export async function expiredDatasets(sql: Sql, at: Date): Promise<Dataset[]> {
  const rows = await sql<DatasetRow[]>`
    select d.* from seed.datasets d left join seed.runs c on c.id = d.cleanup_run_id
     where d.closed_at is null and d.expires_at <= ${at}
       and (c.id is null or c.state in ('failed', 'cancelled', 'expired', 'aborted'))
     order by d.expires_at, d.id`;
  return rows.map(toDataset);
}

/** What one pass did with one expired dataset. */
export interface DatasetCleanup {
  datasetId: number;
  tenantId: string;
  environment: string;
  mode: RunMode;
  expiresAt: string;
  /** The purge run submitted (admitted or queued); absent when refused. */
  purgeRunId?: string;
  /** The problem code of a refusal (the tenant held by a run, …); the next pass tries again. */
  refused?: string;
}

/** Options of {@link createDatasetCleaner}. */
export interface DatasetCleanerOptions {
  /** Control-plane pool (semente_app). */
  sql: Sql;
  admission: Pick<Admission, "submit" | "tenantHolder">;
  /** The clock deciding what has expired and when a pass is due (injected so tests do not wait). */
  now: () => Date;
  /** Time between passes. @default 300_000 */
  intervalMs?: number;
  /** Audit actor. @default "planner" */
  actor?: string;
  /** Principal of the purge runs. @default "ttl-cleanup" */
  principal?: string;
}

/** The planner's TTL clean-up job (R6.6). */
export interface DatasetCleaner {
  /** Runs a pass if `intervalMs` elapsed since the last one (by the injected clock). */
  tick(): Promise<DatasetCleanup[] | null>;
  /** Runs a pass now. */
  clean(): Promise<DatasetCleanup[]>;
}

/**
 * Purges expired load and DR datasets: for each open dataset past `expires_at` (by the injected
 * clock), submits a purge run of its tenant × environment × mode through admission
 * ({@link submitPurgeRun}: the tenant lease, then the planner and seeders, signed evidence, like
 * any run), records it on the dataset and audits `dataset.expire`. A refusal (another run holds
 * the tenant) is audited and retried on the next pass. The dataset closes when the purge phase
 * ends (migration 0141's trigger); the purge clears the mode's checkpoints with the rows.
 */
export function createDatasetCleaner(options: DatasetCleanerOptions): DatasetCleaner {
  const actor = options.actor ?? "planner";

  async function cleanOne(dataset: Dataset): Promise<DatasetCleanup> {
    const outcome: DatasetCleanup = {
      datasetId: dataset.id,
      tenantId: dataset.tenantId,
      environment: dataset.environment,
      mode: dataset.mode,
      expiresAt: dataset.expiresAt?.toISOString() ?? "",
    };
    const audit = { actor, tenantId: dataset.tenantId, environment: dataset.environment, action: "dataset.expire" };
    const details = {
      dataset_id: dataset.id,
      dataset_run: dataset.runId,
      mode: dataset.mode,
      expires_at: outcome.expiresAt,
    };
    try {
      const decision = await submitPurgeRun(
        { sql: options.sql, admission: options.admission, now: options.now },
        {
          tenantId: dataset.tenantId,
          environment: dataset.environment,
          mode: dataset.mode,
          principal: options.principal ?? "ttl-cleanup",
          actor,
        },
      );
      outcome.purgeRunId = decision.run.id;
      await options.sql`update seed.datasets set cleanup_run_id = ${decision.run.id} where id = ${dataset.id}`;
      await appendAudit(options.sql, {
        ...audit,
        outcome: "success",
        runId: decision.run.id,
        details: { ...details, purge_state: decision.state },
      });
    } catch (error) {
      if (!isSementeError(error) || error.status >= 500) throw error;
      outcome.refused = error.code;
      await appendAudit(options.sql, { ...audit, outcome: "refused", reason: error.code, details });
    }
    return outcome;
  }

  async function clean(): Promise<DatasetCleanup[]> {
    const outcomes: DatasetCleanup[] = [];
    for (const dataset of await expiredDatasets(options.sql, options.now())) outcomes.push(await cleanOne(dataset));
    return outcomes;
  }

  return { clean, tick: everyInterval(options.now, options.intervalMs ?? 300_000, clean) };
}
