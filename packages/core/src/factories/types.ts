import type { Permutation, RowIdNamespace, Stream } from "../determinism/index.ts";
import type { Entity, Manifest } from "../manifest/index.ts";
import type { PiiMasker } from "../pii/index.ts";

/** PostgreSQL types of generated columns, as written in `unnest($1::<type>[], …)`. */
export const PgType = {
  uuid: "uuid",
  text: "text",
  bpchar: "bpchar",
  numeric: "numeric",
  integer: "integer",
  boolean: "boolean",
  date: "date",
  timestamptz: "timestamptz",
} as const;
export type PgType = (typeof PgType)[keyof typeof PgType];

/** One column of a banking table: name, PostgreSQL type and nullability. */
export interface ColumnDef {
  readonly name: string;
  readonly type: PgType;
  readonly nullable: boolean;
}

/** A banking table as the factories fill it: columns in DB order (the bulk-insert order). */
export interface EntityTable {
  /** Schema-qualified table name, e.g. `banking.loans`. */
  readonly table: string;
  readonly columns: readonly ColumnDef[];
}

/** Options of `createGenerationContext`. */
export interface GenerationContextOptions {
  /** The manifest as written (already validated). */
  manifest: Manifest;
  /** `sha256:<hex>` of the manifest (`manifestHash`); keys every stream and permutation. */
  manifestHash: string;
  /** 32 bytes of FPE key material for (environment, tenant, key version), from the key provider. */
  fpeKey: Uint8Array;
  /** The key version the FPE key belongs to; must equal `manifest.key_version`. */
  keyVersion: number;
}

/**
 * Exact state assignment of one entity: rows whose rank (a keyed permutation of the ordinal)
 * falls below `bounds[s]` get `states[s]`; every other row keeps `happy`.
 */
export interface StatePlan {
  readonly states: readonly string[];
  readonly happy: string;
  /** Rows per state, in `states` order. */
  readonly counts: readonly number[];
  /** Running sums of `counts`. */
  readonly bounds: readonly number[];
  readonly size: number;
  readonly permutation: Permutation | undefined;
}

/** An exact share of `total` rows spread over `loans` loans: loan r of the block gets base + (r < rem). */
export interface Spread {
  readonly base: number;
  readonly rem: number;
}

/**
 * How installment states follow their loan (see `loan-timeline.ts`). With an installments
 * distribution, the overdue (cancelled) target is spread over the defaulted (cancelled) loans,
 * at least one and at most `term` each; what does not fit is chosen among the installments of
 * active loans through a keyed permutation.
 */
export interface InstallmentPlan {
  /** Loans in a non-happy state; they hold the ranks [0, nonActive): defaulted, cancelled, paid. */
  readonly nonActive: number;
  readonly defaultedLoans: number;
  /** Overdue installments per defaulted loan; undefined → drawn per loan. */
  readonly overduePerDefaulted: Spread | undefined;
  /** Cancelled installments per cancelled loan; undefined → all of them. */
  readonly cancelledPerCancelled: Spread | undefined;
  /** Overdue installments chosen among the installments of active loans. */
  readonly extraOverdue: number;
  /** Cancelled (renegotiated) installments chosen among the installments of active loans. */
  readonly extraCancelled: number;
  /** Keyed permutation of the installments of active loans, when extras are requested. */
  readonly permutation: Permutation | undefined;
}

/** Everything precomputed once per run; read-only afterwards. */
export interface GenerationContext {
  readonly manifest: Manifest;
  readonly manifestHash: string;
  readonly tenant: string;
  readonly keyVersion: number;
  /** Row counts per entity (`plannedRows`). */
  readonly counts: Readonly<Record<Entity, number>>;
  /** Epoch day of `reference_datetime` (UTC). */
  readonly refDay: number;
  /** Installments per loan (`volumetry.loans.term_months`). */
  readonly term: number;
  /** Customers that own a first account: min(customers, bank_accounts); loans map onto them. */
  readonly loanCustomers: number;
  /** Number of branches of the tenant. */
  readonly branches: number;
  readonly masker: PiiMasker;
  readonly streams: Readonly<Record<Entity, Stream>>;
  readonly namespaces: Readonly<Record<Entity, RowIdNamespace>>;
  readonly states: Readonly<Partial<Record<Entity, StatePlan>>>;
  readonly installments: InstallmentPlan;
  /** Keyed permutation of [0, 9·10^7) giving 8-digit account numbers. */
  readonly accountNumbers: Permutation;
  /** The tenant's ISPB (root of its CNPJ). */
  readonly tenantIspb: string;
  /** `YYYY-MM-DD` of refDay − d for d in [0, 90], for transaction timestamps. */
  readonly recentDays: readonly string[];
  /** `YYYYMMDD` of the same days, for Pix end-to-end ids. */
  readonly recentDaysCompact: readonly string[];
}

/** Rows of one entity in the table's column order, DB-ready. */
export interface Batch {
  readonly entity: Entity;
  readonly columns: readonly string[];
  /**
   * Values in column order: uuid/text as strings, numeric as `"123.45"` strings, dates
   * `YYYY-MM-DD`, timestamptz ISO 8601 UTC strings, integers as numbers, booleans, `null`.
   */
  readonly rows: unknown[][];
}
