import type { Entity, Environment, Mode } from "./types.ts";

/**
 * Q11 caps: the hard ceiling of rows per entity × mode × environment. A manifest's own
 * `volumetry.<entity>.cap` must not exceed it, and neither may the derived installments.
 * A mode missing under an environment is not allowed there (`MODE_NOT_ALLOWED`): load and DR run
 * only in staging and perf (R6.10); prod is baseline only and small. `tenants` is always one row.
 *
 * The numbers scale from the customers cap of each column: users ×0.1, consultants ×0.05,
 * suppliers ×0.1, addresses ×3, bank_accounts ×2, loans ×1, installments ×24 (a 24-month term on
 * every loan), financial_transactions ×20, credit_limits ×1, contracts ×1; account_categories is
 * a fixed catalogue (200, prod 50). Changing a number is a contract change: regenerate
 * `contracts/seed-profile.schema.json`, which publishes this table as `x-semente-caps`.
 */
type CapRow = Readonly<Record<Exclude<Entity, "tenants">, number>>;

/** One column of the table, from its customers cap by the ratios above. */
function scaled(customers: number, accountCategories = 200): CapRow {
  return {
    users: customers / 10,
    consultants: customers / 20,
    account_categories: accountCategories,
    suppliers: customers / 10,
    customers,
    addresses: customers * 3,
    bank_accounts: customers * 2,
    loans: customers,
    installments: customers * 24,
    financial_transactions: customers * 20,
    credit_limits: customers,
    contracts: customers,
  };
}

export const Q11_CAPS = {
  dev: { baseline: scaled(10_000) },
  homolog: { baseline: scaled(20_000) },
  staging: { baseline: scaled(50_000), load: scaled(500_000), dr: scaled(500_000) },
  perf: { baseline: scaled(50_000), load: scaled(5_000_000), dr: scaled(5_000_000) },
  prod: { baseline: scaled(1_000, 50) },
} as const satisfies Record<Environment, Partial<Record<Mode, CapRow>>>;

const modesOf = (environment: Environment): readonly Mode[] => Object.keys(Q11_CAPS[environment]) as Mode[];

/** Modes allowed per environment, derived from the caps table. */
export const MODES_BY_ENVIRONMENT: Readonly<Record<Environment, readonly Mode[]>> = {
  dev: modesOf("dev"),
  homolog: modesOf("homolog"),
  staging: modesOf("staging"),
  perf: modesOf("perf"),
  prod: modesOf("prod"),
};

/** Whether `mode` may run in `environment`. */
export function isModeAllowed(environment: Environment, mode: Mode): boolean {
  return MODES_BY_ENVIRONMENT[environment]?.includes(mode) ?? false;
}

/** The Q11 cap of `entity` for environment × mode; `undefined` when the mode is not allowed there. */
export function q11Cap(environment: Environment, mode: Mode, entity: Entity): number | undefined {
  if (entity === "tenants") return 1;
  const modes: Partial<Record<Mode, CapRow>> | undefined = Q11_CAPS[environment];
  return modes?.[mode]?.[entity];
}
