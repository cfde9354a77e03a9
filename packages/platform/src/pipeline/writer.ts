import { type Sql, withTenant } from "../db/index.ts";
import { SementeError } from "@semente/core/errors";
import { createGenerationContext, type GenerationContext } from "@semente/core/factories";
import { assertKeyVersion, type KeyProvider } from "../keys/index.ts";
import {
  ENTITIES,
  type Entity,
  type Manifest,
  ManifestSchema,
  manifestHash,
  resolveManifest,
  schemaIssues,
} from "@semente/core/manifest";
import { isTerminalState, type RunState } from "../runs/index.ts";
import type { Logger } from "../telemetry/index.ts";
import { createStagingTable, DEFAULT_WRITE_PATH, type WritePath } from "./bulk-insert.ts";
import type { BatchMessage, CheckpointMessage } from "@semente/core/pipeline";
import { type RetryOptions, retryTransient } from "./retry.ts";
import { insertPrepared, type PreparedBatch, prepareBatch } from "./prepare-batch.ts";

/** What {@link BatchWriter.write} did with a batch. */
export const WriteOutcome = {
  /** Rows and checkpoint committed in one transaction. */
  committed: "committed",
  /** The checkpoint already existed (redelivery): nothing written. */
  duplicate: "duplicate",
  /** Dry run: everything ran, then the transaction rolled back. */
  dryRun: "dry_run",
  /** The run is terminal (cancelled, failed…): nothing done; ack the message. */
  skipped: "skipped",
} as const;
export type WriteOutcome = (typeof WriteOutcome)[keyof typeof WriteOutcome];

/** Result of one {@link BatchWriter.write}. */
export type WriteResult =
  | { outcome: "committed" | "duplicate" | "dry_run"; checkpoint: CheckpointMessage }
  | { outcome: "skipped"; state: RunState };

/** Options of {@link createBatchWriter}. */
export interface BatchWriterOptions {
  /** Pool of the least-privilege `semente_seeder` role (subject to RLS). */
  sql: Sql;
  /** The key provider, or one per environment (the local dev provider is bound to one). */
  keys: KeyProvider | ((environment: string) => KeyProvider);
  log?: Logger;
  /** @default DEFAULT_WRITE_PATH ("copy") */
  path?: WritePath;
  /**
   * COPY path: time allowed for the COPY to settle before its connection is discarded.
   * @default 30000
   */
  copyTimeoutMs?: number;
  /** In-process retries of transient PostgreSQL failures (serialization, deadlock, timeouts). */
  retry?: RetryOptions;
}

/** Writes batches; one per seeder process, shared by its workers. */
export interface BatchWriter {
  /** Generates and writes one batch (see {@link createBatchWriter}). `attempt` is the delivery count. */
  write(msg: BatchMessage, options: { attempt: number }): Promise<WriteResult>;
  /** Drops the cached generation context of a run (on completion or a key change). */
  forget(runId: string): void;
}

interface RunRow {
  id: string;
  environment: string;
  tenant_id: string;
  mode: string;
  dry_run: boolean;
  state: RunState;
  manifest_hash: string;
  manifest: unknown;
  reference_datetime: Date;
  key_version: number;
}

interface RunContext {
  run: RunRow;
  manifest: Manifest;
  generation: GenerationContext;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/** What one transaction found or wrote. */
interface Written {
  duplicate: boolean;
  rows: number;
  digest: string;
}

const bareHash = (hash: string): string => hash.replace(/^sha256:/, "");

/** Thrown inside a dry-run transaction so that postgres.js rolls it back; caught right outside. */
class DryRunRollback extends Error {
  constructor(readonly written: Written) {
    super("dry run: rolled back");
    this.name = "DryRunRollback";
  }
}

function isEntity(value: string): value is Entity {
  return (ENTITIES as readonly string[]).includes(value);
}

function assertMatchesRun(msg: BatchMessage, run: RunRow): void {
  if (msg.keyVersion !== run.key_version) {
    throw new SementeError("KEY_VERSION_MISMATCH", `batch key version ${msg.keyVersion} differs from the run's`, {
      extensions: { expected: run.key_version, actual: msg.keyVersion },
    });
  }
  const same =
    msg.tenant === run.tenant_id &&
    msg.environment === run.environment &&
    msg.mode === run.mode &&
    msg.dryRun === run.dry_run &&
    bareHash(msg.manifestHash) === run.manifest_hash;
  if (!same) throw new SementeError("VALIDATION_FAILED", "batch message disagrees with its run (scope or manifest)");
  if (!isEntity(msg.entity)) throw new SementeError("VALIDATION_FAILED", `unknown entity ${msg.entity}`);
  if (msg.to <= msg.from) throw new SementeError("VALIDATION_FAILED", "empty batch range");
}

/** Generation contexts kept per writer; a run's batches arrive close together. */
const MAX_CACHED_RUNS = 8;

const RUN_COLUMNS =
  "id, environment, tenant_id, mode, dry_run, state, manifest_hash, manifest, reference_datetime, key_version";

/** The batch of a delivery, prepared on the first attempt and reused by its retries. */
interface Generated {
  prepared?: PreparedBatch;
}

/**
 * Builds the seeder's write path. `write(msg)`:
 * 1. reads the run's state (every batch: a cancelled run stops within one batch → `skipped`);
 * 2. on first sight of a run, checks the stored manifest against its hash, fails closed unless the
 *    key provider's latest version equals the run's (`assertKeyVersion`), derives the FPE key once
 *    and caches the generation context per run and key version;
 * 3. a committed checkpoint → `duplicate`: nothing generated nor written (redelivery);
 * 4. else generates the rows and their digest once, and in ONE serializable transaction bound to
 *    the run (`withTenant(…, { runId })`: the tenant context only an admitted run grants) with the manifest's timeouts inserts the checkpoint (digest, rows, manifest
 *    hash, key version, reference_datetime) with `ON CONFLICT DO NOTHING`, then the rows through the
 *    bulk path. The checkpoint goes first: a concurrent delivery of the same batch conflicts on its
 *    primary key (40001, retried into `duplicate`), never on a banking table;
 * 5. dry run: the same transaction writes to a FK-free temp copy of the table (parents are never
 *    committed in a dry run) and is rolled back: no checkpoint kept.
 * Transient PostgreSQL failures are retried in-process (`retryTransient`); everything else is
 * thrown for the consumer to classify (`classifyFailure`). The planner owns `seed.batches`; the
 * seeder owns `seed.checkpoints`.
 */
export function createBatchWriter(options: BatchWriterOptions): BatchWriter {
  const { sql, keys } = options;
  const path = options.path ?? DEFAULT_WRITE_PATH;
  const contexts = new Map<string, Promise<RunContext>>();

  /** The run through `seed.seeder_run`: the role cannot read seed.runs, and gets the manifest only while running. */
  async function readRun(runId: string, full: boolean): Promise<RunRow> {
    const columns = full ? RUN_COLUMNS : "id, state";
    const rows = await sql.unsafe<RunRow[]>(`SELECT ${columns} FROM seed.seeder_run($1)`, [runId]);
    if (rows[0] === undefined) throw new SementeError("NOT_FOUND", `run ${runId} not found`);
    return rows[0];
  }

  async function buildContext(runId: string): Promise<RunContext> {
    const run = await readRun(runId, true);
    if (run.manifest === null) throw new SementeError("INVALID_STATE", `run ${runId} is ${run.state}, not running`);
    const issues = schemaIssues(ManifestSchema, run.manifest);
    if (issues.length > 0) throw new SementeError("VALIDATION_FAILED", "the run's stored manifest is not a manifest");
    const manifest = run.manifest as Manifest;
    if (bareHash(manifestHash(manifest)) !== run.manifest_hash) {
      throw new SementeError("VALIDATION_FAILED", "the run's stored manifest does not match its manifest_hash");
    }
    if (Date.parse(manifest.reference_datetime) !== run.reference_datetime.getTime()) {
      throw new SementeError("REFERENCE_DATETIME_MISMATCH", "the run's reference_datetime differs from its manifest");
    }
    const scope = { environment: run.environment, tenant: run.tenant_id };
    const provider = typeof keys === "function" ? keys(run.environment) : keys;
    await assertKeyVersion(provider, scope, run.key_version);
    const fpeKey = await provider.deriveFpeKey(scope, run.key_version);
    const generation = createGenerationContext({
      manifest,
      manifestHash: `sha256:${run.manifest_hash}`,
      fpeKey,
      keyVersion: run.key_version,
    });
    const { timeouts } = resolveManifest(manifest);
    return {
      run,
      manifest,
      generation,
      statementTimeoutMs: timeouts.statement_timeout_ms,
      lockTimeoutMs: timeouts.lock_timeout_ms,
    };
  }

  function contextFor(msg: BatchMessage): Promise<RunContext> {
    const key = `${msg.runId}:${msg.keyVersion}`;
    let ctx = contexts.get(key);
    if (ctx === undefined) {
      ctx = buildContext(msg.runId);
      contexts.set(key, ctx);
      // Bounded: a long-lived seeder sees many runs; the oldest context goes first (Map order).
      if (contexts.size > MAX_CACHED_RUNS) contexts.delete(contexts.keys().next().value as string);
      // A failed build (Vault down, key mismatch) must not stick: the next delivery retries it.
      ctx.catch(() => contexts.delete(key));
    }
    return ctx;
  }

  /** The checkpoint of a batch if one is committed (read committed, outside the batch transaction). */
  async function findCheckpoint(msg: BatchMessage, tenant: string): Promise<Written | undefined> {
    const rows = await withTenant(
      sql,
      tenant,
      (tx) => tx<{ row_count: string; digest: string }[]>`
        SELECT row_count::text AS row_count, digest FROM seed.checkpoints
        WHERE run_id = ${msg.runId} AND entity = ${msg.entity} AND batch_index = ${msg.batchIndex}`,
      { readOnly: true, runId: msg.runId },
    );
    const row = rows[0];
    return row === undefined
      ? undefined
      : { duplicate: true, rows: Number(row.row_count), digest: `sha256:${row.digest}` };
  }

  async function writeOnce(
    msg: BatchMessage,
    ctx: RunContext,
    generated: Generated,
    started: number,
  ): Promise<Written> {
    const entity = msg.entity as Entity;
    const { run } = ctx;
    const found = await findCheckpoint(msg, run.tenant_id);
    if (found !== undefined) return found;
    // Every row against its /api/v1 contract before anything is written: a violation is an
    // integrity failure of the batch (CONTRACT_VIOLATION, terminated, never retried).
    generated.prepared ??= prepareBatch(ctx.generation, entity, msg.from, msg.to, path);
    const prepared = generated.prepared;
    const { digest } = prepared;
    return withTenant(
      sql,
      run.tenant_id,
      async (tx) => {
        // No SELECT of seed.checkpoints in here: its predicate lock would make concurrent batches
        // of one run serialization pivots of each other. The primary key decides instead; a
        // checkpoint committed by a concurrent delivery surfaces as 40001 and the retry finds it.
        const claimed = await tx`
          INSERT INTO seed.checkpoints (tenant_id, environment, mode, run_id, entity, batch_index, from_ordinal,
            to_ordinal, row_count, digest, manifest_hash, key_version, reference_datetime, rows_validated)
          VALUES (${run.tenant_id}, ${run.environment}, ${run.mode}, ${msg.runId}, ${entity}, ${msg.batchIndex},
            ${msg.from}, ${msg.to}, ${prepared.rows}, ${bareHash(digest)}, ${run.manifest_hash},
            ${run.key_version}, ${run.reference_datetime}, ${prepared.validated})
          ON CONFLICT DO NOTHING
          RETURNING ctid::text AS ctid`;
        if (claimed.length === 0) return { duplicate: true, rows: prepared.rows, digest };
        const table = msg.dryRun ? await createStagingTable(tx, entity, `semente_dry_${entity}`) : undefined;
        await insertPrepared(tx, prepared, {
          guard: sql,
          ...(table === undefined ? {} : { table }),
          ...(options.copyTimeoutMs === undefined ? {} : { copyTimeoutMs: options.copyTimeoutMs }),
        });
        // The batch's duration (delivery start to this last statement), for the evidence SLO p95/p99.
        const durationMs = Math.max(0, Math.round(performance.now() - started)); // clock-ok: duration telemetry
        // By the row's own ctid (a TID scan): a scan of the primary key would lock its index pages
        // against the concurrent batches' checkpoint inserts and make them serialization pivots.
        await tx`
          UPDATE seed.checkpoints SET duration_ms = ${durationMs}
           WHERE ctid = ${claimed[0]?.ctid as string}::tid
             AND run_id = ${msg.runId} AND entity = ${entity} AND batch_index = ${msg.batchIndex}`;
        const written = { duplicate: false, rows: prepared.rows, digest };
        if (msg.dryRun) throw new DryRunRollback(written);
        return written;
      },
      {
        isolation: "serializable",
        statementTimeoutMs: ctx.statementTimeoutMs,
        lockTimeoutMs: ctx.lockTimeoutMs,
        runId: msg.runId,
      },
    );
  }

  return {
    async write(msg, { attempt }) {
      const started = performance.now(); // clock-ok: duration telemetry, not generation
      const current = await readRun(msg.runId, false);
      if (isTerminalState(current.state)) return { outcome: WriteOutcome.skipped, state: current.state };
      const ctx = await contextFor(msg);
      assertMatchesRun(msg, ctx.run);
      const generated: Generated = {};
      const message = (r: Written): CheckpointMessage => ({
        v: 1,
        runId: msg.runId,
        entity: msg.entity,
        batchIndex: msg.batchIndex,
        planIndex: msg.planIndex,
        rows: r.rows,
        digest: r.digest,
        duplicate: r.duplicate,
        dryRun: msg.dryRun,
        durationMs: Math.max(0, performance.now() - started), // clock-ok
        attempt,
      });
      const result = await retryTransient(
        async (): Promise<Written & { rolledBack: boolean }> => {
          try {
            return { ...(await writeOnce(msg, ctx, generated, started)), rolledBack: false };
          } catch (error) {
            if (error instanceof DryRunRollback) return { ...error.written, rolledBack: true };
            throw error;
          }
        },
        {
          ...options.retry,
          onRetry: (error, n, delayMs) => {
            // The SQLSTATE (40001 for a serialization failure) or Semente code, never the message.
            const code = (error as { code?: unknown } | null)?.code;
            options.log?.warn(
              {
                entity: msg.entity,
                batch: msg.batchIndex,
                attempt: n,
                delayMs,
                code: typeof code === "string" ? code : null,
              },
              "batch retry",
            );
            options.retry?.onRetry?.(error, n, delayMs);
          },
        },
      );
      const checkpoint = message(result);
      if (result.rolledBack) return { outcome: WriteOutcome.dryRun, checkpoint };
      return { outcome: result.duplicate ? WriteOutcome.duplicate : WriteOutcome.committed, checkpoint };
    },
    forget(runId) {
      for (const key of contexts.keys()) if (key.startsWith(`${runId}:`)) contexts.delete(key);
    },
  };
}
