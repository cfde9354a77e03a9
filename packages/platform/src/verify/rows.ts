import { type Sql, type TransactionSql, withTenant } from "../db/index.ts";
import { Isolation } from "../db/types.ts";
import { fieldId, fmix } from "@semente/core/determinism";
import { type Batch, ENTITY_TABLES, type GenerationContext, generateBatch } from "@semente/core/factories";
import type { ColumnDef } from "@semente/core/factories";
import type { Entity, Manifest } from "@semente/core/manifest";
import { PLAN_ENTITY_ORDER, type PlannedBatch, planBatches } from "@semente/core/pipeline";
import { expectedText, sameValue, selectExpr } from "./values.ts";

/** What kind of difference a row shows. */
export type RowDifferenceKind = "missing" | "extra" | "value";

/**
 * One difference between the database and the manifest's dataset. It names where, never what:
 * no value of any column is ever carried (a value may be PII).
 */
export interface RowDifference {
  entity: Entity;
  kind: RowDifferenceKind;
  /** Plan ordinal of the expected row (missing, value); null for an extra row. */
  ordinal: number | null;
  /** Row id when it is a generated UUID (missing, value) or a UUID found in excess (extra). */
  id: string | null;
  /** The differing column (value only). */
  column: string | null;
}

/** Per-entity outcome. */
export interface EntityVerification {
  entity: Entity;
  /** Rows the manifest plans. */
  expected: number;
  /** Rows of the table visible to the tenant in the snapshot. */
  present: number;
  /** Expected rows compared value by value (all of them, or the sample). */
  compared: number;
  differences: number;
}

/** Outcome of {@link verifyRows}. */
export interface RowVerification {
  ok: boolean;
  /** The sampled fraction, or null for a full verification. */
  sample: number | null;
  entities: EntityVerification[];
  /** Rows compared value by value, over every entity. */
  rowsCompared: number;
  /** Differences found (all of them counted). */
  differenceCount: number;
  /** The first `maxDifferences` differences, in plan order. */
  differences: RowDifference[];
}

/** Options of {@link verifyRows}. */
export interface VerifyRowsOptions {
  /**
   * The connection rows are read with; it must be a role subject to RLS (the caller chooses the
   * role, today the seeder's). Everything is read in one REPEATABLE READ READ ONLY transaction.
   */
  sql: Sql;
  manifest: Manifest;
  /** Generation context of the manifest (same key material as the run). */
  ctx: GenerationContext;
  /** Compare only a deterministic fraction (0, 1) of the rows; counts stay exact. */
  sample?: number;
  /** Differences kept in detail. @default 50 */
  maxDifferences?: number;
  /**
   * Called with every regenerated batch, in plan order within each entity (e.g. to digest it
   * without generating the dataset a second time). With `concurrency` above 1 the batches of
   * different entities interleave.
   */
  onBatch?: (planned: PlannedBatch, batch: Batch) => void;
  /**
   * Entities checked at once, each lane on its own connection of `sql` (the pool needs as many),
   * every lane in the same snapshot (`pg_export_snapshot` / `SET TRANSACTION SNAPSHOT`). The
   * result, differences included, is the same whatever the value. @default 1
   */
  concurrency?: number;
}

/** True when `ordinal` of `entity` belongs to the deterministic sample of `fraction`. */
export function inSample(entity: string, ordinal: number, fraction: number): boolean {
  const h = fmix((Math.imul(ordinal, 0x9e3779b1) ^ fieldId(entity)) >>> 0);
  return fmix((h + Math.floor(ordinal / 4294967296)) >>> 0) / 4294967296 < fraction;
}

/** 32-bit hash of an id (for the compact set that names extra rows). */
const idHash = (id: string): number => fieldId(id);

function sortedContains(sorted: Uint32Array, value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as number;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

const READ_CHUNK = 5000;

/**
 * Reads every row of the manifest's tenant (under RLS, one REPEATABLE READ READ ONLY snapshot),
 * regenerates the expected rows batch by batch in plan order and compares them column by column.
 * Memory stays bounded, per lane (`concurrency`), by one batch plus 4 bytes per expected row of
 * the entity being checked (the id hashes used to name extra rows). Missing rows, extra rows and
 * differing values are differences; a difference names entity, ordinal or id, and column — never
 * a value.
 */
export async function verifyRows(options: VerifyRowsOptions): Promise<RowVerification> {
  const { manifest, ctx } = options;
  const sample = options.sample;
  if (sample !== undefined && !(sample > 0 && sample <= 1)) throw new RangeError("sample must be in (0, 1]");
  const fraction = sample === undefined || sample === 1 ? null : sample;
  const maxDifferences = options.maxDifferences ?? 50;
  const plan = planBatches(manifest);
  const verifyEntity = async (tx: TransactionSql, entity: Entity): Promise<EntityOutcome> => {
    const { table, columns } = ENTITY_TABLES[entity];
    const idIndex = columns.findIndex((c) => c.name === "id");
    const idType = (columns[idIndex] as ColumnDef).type;
    const batches = plan.batches.filter((b) => b.entity === entity);
    const expected = batches.reduce((n, b) => n + b.to - b.from, 0);
    // Each entity keeps its own first differences; they are merged in plan order at the end, so
    // the result does not depend on which lane checked which entity first.
    const noted: RowDifference[] = [];
    let count = 0;
    const check: EntityCheck = {
      tx,
      entity,
      table,
      columns,
      idIndex,
      idType,
      select: `SELECT ${columns.map(selectExpr).join(", ")} FROM ${table} WHERE id = ANY($1::${idType}[])`,
      fraction,
      idHashes: new Uint32Array(expected),
      note: (d) => {
        count++;
        if (noted.length < maxDifferences) noted.push(d);
      },
    };
    const { found, compared } = await compareBatches(check, ctx, batches, options.onBatch);
    const [countRow] = await tx.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM ${table}`);
    const present = Number(countRow?.n ?? 0);
    // Rows present but not matched: with a full comparison every expected row was looked up; with a
    // sample, the unsampled expected rows are assumed present (counts still reveal any excess).
    const matchedOrAssumed = fraction === null ? found : found + (expected - compared);
    const extras = present - matchedOrAssumed;
    if (extras > 0) await noteExtras(check, extras);
    return { verification: { entity, expected, present, compared, differences: count }, noted };
  };

  const outcomes = await inOneSnapshot(options, PLAN_ENTITY_ORDER, verifyEntity);
  const entities = outcomes.map((o) => o.verification);
  const differenceCount = entities.reduce((n, e) => n + e.differences, 0);
  const differences = outcomes.flatMap((o) => o.noted).slice(0, maxDifferences);
  return {
    ok: differenceCount === 0,
    sample: fraction,
    entities,
    rowsCompared: entities.reduce((n, e) => n + e.compared, 0),
    differenceCount,
    differences,
  };
}

interface EntityOutcome {
  verification: EntityVerification;
  /** The entity's first differences (at most maxDifferences). */
  noted: RowDifference[];
}

const SNAPSHOT_READ = { isolation: Isolation.REPEATABLE_READ, readOnly: true } as const;

/**
 * Runs `check` for every entity, in `order`, inside one REPEATABLE READ READ ONLY snapshot of the
 * tenant: one transaction, or `concurrency` lanes that share the first lane's exported snapshot
 * and take the next entity as they free up. Results come back in `order`.
 */
async function inOneSnapshot<T>(
  options: VerifyRowsOptions,
  order: readonly Entity[],
  check: (tx: TransactionSql, entity: Entity) => Promise<T>,
): Promise<T[]> {
  const tenant = options.manifest.metadata.tenant;
  const lanes = Math.max(1, Math.min(options.concurrency ?? 1, order.length));
  const results = new Array<T>(order.length);
  let next = 0;
  const drain = async (tx: TransactionSql): Promise<void> => {
    for (let i = next++; i < order.length; i = next++) results[i] = await check(tx, order[i] as Entity);
  };
  await withTenant(
    options.sql,
    tenant,
    async (tx) => {
      if (lanes === 1) return drain(tx);
      const [exported] = await tx<{ id: string }[]>`SELECT pg_export_snapshot() AS id`;
      const snapshot = exported?.id as string;
      const others = Array.from({ length: lanes - 1 }, () =>
        withTenant(options.sql, tenant, drain, { ...SNAPSHOT_READ, snapshot }),
      );
      // The exporting transaction stays open until every lane is done (its snapshot dies with it).
      const settled = await Promise.allSettled([drain(tx), ...others]);
      const failed = settled.find((r) => r.status === "rejected");
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    },
    SNAPSHOT_READ,
  );
  return results;
}

/** One entity's comparison: where its rows are, how they are read, and where differences go. */
interface EntityCheck {
  tx: TransactionSql;
  entity: Entity;
  table: string;
  columns: readonly ColumnDef[];
  idIndex: number;
  idType: string;
  /** Reads the stored rows of a list of ids, every column as {@link selectExpr} renders it. */
  select: string;
  fraction: number | null;
  /** The hash of every expected id, by ordinal (to name extra rows). */
  idHashes: Uint32Array;
  note: (d: RowDifference) => void;
}

/**
 * Generates each batch (the next one while PostgreSQL reads the current one's rows) and compares
 * its picked rows; returns how many stored rows were found and how many rows compared.
 */
async function compareBatches(
  check: EntityCheck,
  ctx: GenerationContext,
  batches: PlannedBatch[],
  onBatch: VerifyRowsOptions["onBatch"],
): Promise<{ found: number; compared: number }> {
  let found = 0;
  let compared = 0;
  const { entity, idIndex } = check;
  let generated = batches.length > 0 ? generateBatch(ctx, entity, batches[0]?.from ?? 0, batches[0]?.to ?? 0) : null;
  for (let k = 0; k < batches.length; k++) {
    const batch = batches[k] as PlannedBatch;
    onBatch?.(batch, generated as NonNullable<typeof generated>);
    const rows = (generated as NonNullable<typeof generated>).rows as unknown[][];
    const picked = pickRows(check, batch.from, rows);
    const pending = readStored(
      check,
      picked.map((i) => String((rows[i] as unknown[])[idIndex])),
    );
    // Generate the next batch while PostgreSQL answers this one.
    const next = batches[k + 1];
    generated = next === undefined ? null : generateBatch(ctx, entity, next.from, next.to);
    const stored = await pending;
    found += stored.size;
    compared += picked.length;
    for (const i of picked) compareRow(check, batch.from + i, rows[i] as unknown[], stored);
  }
  return { found, compared };
}

/** Records the id hash of every generated row of a batch; returns the indexes of the rows to compare. */
function pickRows(check: EntityCheck, from: number, rows: unknown[][]): number[] {
  const picked: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const id = String((rows[i] as unknown[])[check.idIndex]);
    check.idHashes[from + i] = idHash(id);
    if (check.fraction === null || inSample(check.entity, from + i, check.fraction)) picked.push(i);
  }
  return picked;
}

/** The stored rows of `ids`, by lower-case id; the reads start before this returns. */
async function readStored(check: EntityCheck, ids: string[]): Promise<Map<string, unknown[]>> {
  const fetchRows = (part: string[]) =>
    part.length === 0 ? Promise.resolve([] as unknown[][]) : check.tx.unsafe(check.select, [part] as never[]).values();
  const parts = await Promise.all(
    Array.from({ length: Math.ceil(ids.length / READ_CHUNK) }, (_, c) =>
      fetchRows(ids.slice(c * READ_CHUNK, (c + 1) * READ_CHUNK)),
    ),
  );
  const stored = new Map<string, unknown[]>();
  for (const part of parts) for (const row of part) stored.set(String(row[check.idIndex]).toLowerCase(), row);
  return stored;
}

/** Notes the row missing, or each column whose stored value differs from the generated one. */
function compareRow(check: EntityCheck, ordinal: number, row: unknown[], stored: Map<string, unknown[]>): void {
  const { entity, columns, note } = check;
  const id = String(row[check.idIndex]);
  const uuid = check.idType === "uuid" ? id : null;
  const got = stored.get(id.toLowerCase());
  if (got === undefined) {
    note({ entity, kind: "missing", ordinal, id: uuid, column: null });
    return;
  }
  for (let c = 0; c < columns.length; c++) {
    const col = columns[c] as ColumnDef;
    if (!sameValue(col.type, expectedText(row[c]), got[c] as string | null)) {
      note({ entity, kind: "value", ordinal, id: uuid, column: col.name });
    }
  }
}

/** Notes `extras` rows not in the manifest, naming those whose id hash is not an expected one's. */
async function noteExtras(check: EntityCheck, extras: number): Promise<void> {
  const { entity, note } = check;
  check.idHashes.sort();
  let named = 0;
  const cursor = check.tx.unsafe(`SELECT id::text FROM ${check.table}`).values().cursor(READ_CHUNK);
  for await (const chunk of cursor) {
    for (const [id] of chunk as unknown as [string][]) {
      if (!sortedContains(check.idHashes, idHash(id))) {
        note({ entity, kind: "extra", ordinal: null, id: check.idType === "uuid" ? id : null, column: null });
        named++;
      }
    }
  }
  // Rows whose id collides with an expected one's hash are still counted.
  for (; named < extras; named++) note({ entity, kind: "extra", ordinal: null, id: null, column: null });
}

/** One line per difference: `entity ordinal N [id] column C: kind` — never a value. */
export function describeDifference(d: RowDifference): string {
  const where = d.ordinal === null ? (d.id === null ? "" : ` id ${d.id}`) : ` ordinal ${d.ordinal}`;
  const what =
    d.kind === "value"
      ? `column ${d.column} differs`
      : d.kind === "missing"
        ? "row missing"
        : "row not in the manifest";
  return `${d.entity}${where}: ${what}`;
}
