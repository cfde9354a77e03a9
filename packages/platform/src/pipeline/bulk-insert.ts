import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Sql, TransactionSql } from "../db/index.ts";
import { SementeError } from "@semente/core/errors";
import { type Batch, type ColumnDef, ENTITY_TABLES } from "@semente/core/factories";
import { copyChunks } from "./copy-text.ts";

/** How a batch reaches its banking table. */
export const WritePath = {
  /** `INSERT … SELECT * FROM unnest($1::uuid[], $2::text[], …)`: one statement, typed arrays. */
  unnest: "unnest",
  /** `COPY` into a `CREATE TEMP TABLE … ON COMMIT DROP` staging table, then `INSERT … SELECT`. */
  copy: "copy",
} as const;
export type WritePath = (typeof WritePath)[keyof typeof WritePath];

/**
 * The default write path: COPY measured faster than unnest on PostgreSQL 15 (about a quarter less
 * database time per row for the same batches, see bench/throughput.ts).
 */
export const DEFAULT_WRITE_PATH: WritePath = WritePath.copy;

/** Options of {@link bulkInsert}. */
export interface BulkInsertOptions {
  /** @default DEFAULT_WRITE_PATH ("copy") */
  path?: WritePath;
  /**
   * Target table; defaults to the entity's banking table. The dry run and the benchmark point it
   * at a staging copy.
   */
  table?: string;
  /**
   * COPY path: how long the COPY may take to settle before the connection is discarded
   * (postgres.js leaves a COPY whose server side failed unsettled, porsager/postgres#1173).
   * @default 30000
   */
  copyTimeoutMs?: number;
  /** COPY path: a pool outside the transaction, used to terminate a stuck connection. */
  guard?: Sql;
}

const BOOL_OID = 16;

const IDENT = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

function assertIdent(name: string): string {
  if (!IDENT.test(name)) throw new SementeError("INTERNAL", `unsafe SQL identifier ${JSON.stringify(name)}`);
  return name;
}

function columnsOf(batch: Batch): readonly ColumnDef[] {
  const columns = ENTITY_TABLES[batch.entity].columns;
  if (columns.length !== batch.columns.length || columns.some((c, i) => c.name !== batch.columns[i])) {
    throw new SementeError("INTERNAL", `batch columns of ${batch.entity} differ from ENTITY_TABLES`);
  }
  return columns;
}

/** `INSERT INTO t (c…) SELECT * FROM unnest($1::type[], …)` for a table's columns (cached per text). */
export function unnestStatement(table: string, columns: readonly ColumnDef[]): string {
  const names = columns.map((c) => assertIdent(c.name)).join(", ");
  const arrays = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(", ");
  return `INSERT INTO ${assertIdent(table)} (${names}) SELECT * FROM unnest(${arrays})`;
}

async function insertUnnest(tx: TransactionSql, table: string, columns: readonly ColumnDef[], rows: unknown[][]) {
  const arrays: unknown[][] = columns.map(() => new Array(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as unknown[];
    for (let c = 0; c < columns.length; c++) (arrays[c] as unknown[])[r] = row[c] ?? null;
  }
  // postgres.js infers a plain JS boolean array as `bool`, not `bool[]`, and the `::boolean[]`
  // cast then fails: declare those arrays explicitly. Every other array is left for the server to
  // type from its `$n::<type>[]` cast.
  const params = arrays.map((values, c) =>
    columns[c]?.type === "boolean" ? tx.array(values as boolean[], BOOL_OID) : values,
  );
  await tx.unsafe(unnestStatement(table, columns), params as never[], { prepare: true });
}

/** Options of {@link copyLines}. */
export interface CopyLinesOptions {
  /** Table to COPY into (a temp table: COPY FROM into an RLS table is refused by PostgreSQL 15). */
  table: string;
  columns: readonly string[];
  /** COPY text-format chunks (strings or UTF-8 bytes), each ending in `\n`. */
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;
  /** @default 30000 */
  timeoutMs?: number;
  /** Pool used to terminate the transaction's backend when the COPY does not settle. */
  guard?: Sql;
}

/**
 * `COPY table (columns) FROM STDIN` inside `tx`, guarded: if it has not settled after
 * `timeoutMs`, the backend is terminated through `guard` (discarding the connection, which
 * postgres.js would otherwise leave idle in an aborted transaction) and a retryable
 * `UNAVAILABLE` is thrown.
 */
export async function copyLines(tx: TransactionSql, options: CopyLinesOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const [{ pid } = { pid: 0 }] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
  const names = options.columns.map(assertIdent).join(", ");
  const writable = await tx.unsafe(`COPY ${assertIdent(options.table)} (${names}) FROM STDIN`).writable();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const fail = () =>
        reject(
          new SementeError("UNAVAILABLE", `COPY did not settle within ${timeoutMs} ms; connection discarded`, {
            retryable: true,
          }),
        );
      if (options.guard === undefined) return fail();
      options.guard`select pg_terminate_backend(${pid})`.then(fail, fail);
    }, timeoutMs);
  });
  try {
    await Promise.race([pipeline(Readable.from(options.chunks), writable), stuck]);
  } finally {
    clearTimeout(timer);
  }
}

async function insertCopy(
  tx: TransactionSql,
  table: string,
  columns: readonly ColumnDef[],
  chunks: readonly Uint8Array[],
  options: BulkInsertOptions,
): Promise<void> {
  const stage = `pg_temp.semente_copy_${table.replace(/^.*\./, "")}`;
  const names = columns.map((c) => assertIdent(c.name));
  await tx.unsafe(`CREATE TEMP TABLE ${assertIdent(stage)} (LIKE ${assertIdent(table)}) ON COMMIT DROP`);
  await copyLines(tx, {
    table: stage,
    columns: names,
    chunks,
    ...(options.copyTimeoutMs === undefined ? {} : { timeoutMs: options.copyTimeoutMs }),
    ...(options.guard === undefined ? {} : { guard: options.guard }),
  });
  const list = names.join(", ");
  await tx.unsafe(`INSERT INTO ${assertIdent(table)} (${list}) SELECT ${list} FROM ${stage}`);
}

/**
 * Inserts a generated batch in its column order through `options.path`, inside the caller's
 * transaction (RLS and the tenant come from `withTenant`). Returns the number of rows written.
 */
export async function bulkInsert(tx: TransactionSql, batch: Batch, options: BulkInsertOptions = {}): Promise<number> {
  const columns = columnsOf(batch);
  if (batch.rows.length === 0) return 0;
  const table = options.table ?? ENTITY_TABLES[batch.entity].table;
  if ((options.path ?? DEFAULT_WRITE_PATH) === WritePath.copy) {
    await insertCopy(tx, table, columns, copyChunks(batch.rows), options);
  } else {
    await insertUnnest(tx, table, columns, batch.rows);
  }
  return batch.rows.length;
}

/**
 * Inserts rows already encoded as COPY text (`copyChunks`, in the entity's column order) as
 * {@link bulkInsert}'s COPY path does: COPY into a temp table, then `INSERT … SELECT`.
 */
export async function copyEncoded(
  tx: TransactionSql,
  entity: Batch["entity"],
  chunks: readonly Uint8Array[],
  options: Omit<BulkInsertOptions, "path"> = {},
): Promise<void> {
  if (chunks.length === 0) return;
  const { table, columns } = ENTITY_TABLES[entity];
  await insertCopy(tx, options.table ?? table, columns, chunks, options);
}

/** Creates `pg_temp.<name>` shaped like the entity's table (no FKs), dropped at commit or rollback. */
export async function createStagingTable(tx: TransactionSql, entity: Batch["entity"], name: string): Promise<string> {
  const table = `pg_temp.${assertIdent(name)}`;
  await tx.unsafe(
    `CREATE TEMP TABLE ${table} (LIKE ${assertIdent(ENTITY_TABLES[entity].table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES) ON COMMIT DROP`,
  );
  return table;
}
