import { validateBatchContracts } from "@semente/core/contracts";
import { type Batch, columnNames, type GenerationContext, generateBatch } from "@semente/core/factories";
import type { Entity } from "@semente/core/manifest";
import { createBatchDigester } from "@semente/core/pipeline";
import type { TransactionSql } from "../db/index.ts";
import { type BulkInsertOptions, bulkInsert, copyEncoded, WritePath } from "./bulk-insert.ts";
import { copyChunks } from "./copy-text.ts";

/** A batch ready for its transaction: generated once per delivery, whatever the retries. */
export interface PreparedBatch {
  entity: Entity;
  /** Rows of the batch (to − from). */
  rows: number;
  /** `sha256:<hex>`, digestBatch's digest of the rows. */
  digest: string;
  /** Rows that passed their /api/v1 contract (all of them: a violation throws). */
  validated: number;
  /** COPY path: the COPY text of the rows. */
  copy?: Uint8Array[];
  /** unnest path: the rows. */
  batch?: Batch;
}

/**
 * Rows generated, checked, digested and (COPY path) encoded a part at a time: a part's rows are
 * let go once encoded, so a seeder holds one part of rows and the batch's COPY text, not every
 * row of the batch. Row i is the same in any split (generateBatch), so parts change nothing.
 */
const PART_ROWS = 1_000;

/**
 * Generates rows [from, to) of `entity`, checks every row against its contract before anything is
 * written (CONTRACT_VIOLATION names the first violating ordinal), digests them and encodes them
 * for `path`.
 */
export function prepareBatch(
  ctx: GenerationContext,
  entity: Entity,
  from: number,
  to: number,
  path: WritePath,
): PreparedBatch {
  const digester = createBatchDigester(entity);
  const copy: Uint8Array[] = [];
  const rows: unknown[][] = [];
  let validated = 0;
  for (let start = from; start < to; start += PART_ROWS) {
    const part = generateBatch(ctx, entity, start, Math.min(to, start + PART_ROWS));
    validated += validateBatchContracts(entity, part.rows, start);
    digester.add(part.rows);
    if (path === WritePath.copy) copy.push(...copyChunks(part.rows));
    else for (const row of part.rows) rows.push(row);
  }
  const prepared = { entity, rows: to - from, digest: digester.digest(), validated };
  return path === WritePath.copy
    ? { ...prepared, copy }
    : { ...prepared, batch: { entity, columns: columnNames(entity), rows } };
}

/** Writes a prepared batch inside the caller's transaction: its COPY text, or its rows through unnest. */
export async function insertPrepared(
  tx: TransactionSql,
  prepared: PreparedBatch,
  options: Omit<BulkInsertOptions, "path"> = {},
): Promise<void> {
  if (prepared.copy !== undefined) await copyEncoded(tx, prepared.entity, prepared.copy, options);
  else if (prepared.batch !== undefined) await bulkInsert(tx, prepared.batch, { ...options, path: WritePath.unnest });
}
