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
   * without generating the dataset a second time).
   */
  onBatch?: (planned: PlannedBatch, batch: Batch) => void;
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
 * Memory stays bounded by one batch plus 4 bytes per expected row of the entity being checked
 * (the id hashes used to name extra rows). Missing rows, extra rows and differing values are
 * differences; a difference names entity, ordinal or id, and column — never a value.
 */
export async function verifyRows(options: VerifyRowsOptions): Promise<RowVerification> {
  const { manifest, ctx } = options;
  const sample = options.sample;
  if (sample !== undefined && !(sample > 0 && sample <= 1)) throw new RangeError("sample must be in (0, 1]");
  const fraction = sample === undefined || sample === 1 ? null : sample;
  const maxDifferences = options.maxDifferences ?? 50;
  const plan = planBatches(manifest);
  const differences: RowDifference[] = [];
  let differenceCount = 0;
  const note = (d: RowDifference): void => {
    differenceCount++;
    if (differences.length < maxDifferences) differences.push(d);
  };

  const verifyEntity = async (tx: TransactionSql, entity: Entity): Promise<EntityVerification> => {
    const { table, columns } = ENTITY_TABLES[entity];
    const idIndex = columns.findIndex((c) => c.name === "id");
    const idType = (columns[idIndex] as ColumnDef).type;
    const batches = plan.batches.filter((b) => b.entity === entity);
    const expected = batches.reduce((n, b) => n + b.to - b.from, 0);
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
      note,
    };
    const before = differenceCount;
    const { found, compared } = await compareBatches(check, ctx, batches, options.onBatch);
    const [countRow] = await tx.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM ${table}`);
    const present = Number(countRow?.n ?? 0);
    // Rows present but not matched: with a full comparison every expected row was looked up; with a
    // sample, the unsampled expected rows are assumed present (counts still reveal any excess).
    const matchedOrAssumed = fraction === null ? found : found + (expected - compared);
    const extras = present - matchedOrAssumed;
    if (extras > 0) await noteExtras(check, extras);
    return { entity, expected, present, compared, differences: differenceCount - before };
  };

  const entities = await withTenant(
    options.sql,
    manifest.metadata.tenant,
    async (tx) => {
      const out: EntityVerification[] = [];
      for (const entity of PLAN_ENTITY_ORDER) out.push(await verifyEntity(tx, entity));
      return out;
    },
    { isolation: Isolation.REPEATABLE_READ, readOnly: true },
  );
  return {
    ok: differenceCount === 0,
    sample: fraction,
    entities,
    rowsCompared: entities.reduce((n, e) => n + e.compared, 0),
    differenceCount,
    differences,
  };
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
