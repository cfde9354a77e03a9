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
export const Q11_CAPS = {
  dev: {
    baseline: {
      users: 1_000,
      consultants: 500,
      account_categories: 200,
      suppliers: 1_000,
      customers: 10_000,
      addresses: 30_000,
      bank_accounts: 20_000,
      loans: 10_000,
      installments: 240_000,
      financial_transactions: 200_000,
      credit_limits: 10_000,
      contracts: 10_000,
    },
  },
  homolog: {
    baseline: {
      users: 2_000,
      consultants: 1_000,
      account_categories: 200,
      suppliers: 2_000,
      customers: 20_000,
      addresses: 60_000,
      bank_accounts: 40_000,
      loans: 20_000,
      installments: 480_000,
      financial_transactions: 400_000,
      credit_limits: 20_000,
      contracts: 20_000,
    },
  },
  staging: {
    baseline: {
      users: 5_000,
      consultants: 2_500,
      account_categories: 200,
      suppliers: 5_000,
      customers: 50_000,
      addresses: 150_000,
      bank_accounts: 100_000,
      loans: 50_000,
      installments: 1_200_000,
      financial_transactions: 1_000_000,
      credit_limits: 50_000,
      contracts: 50_000,
    },
    load: {
      users: 50_000,
      consultants: 25_000,
      account_categories: 200,
      suppliers: 50_000,
      customers: 500_000,
      addresses: 1_500_000,
      bank_accounts: 1_000_000,
      loans: 500_000,
      installments: 12_000_000,
      financial_transactions: 10_000_000,
      credit_limits: 500_000,
      contracts: 500_000,
    },
    dr: {
      users: 50_000,
      consultants: 25_000,
      account_categories: 200,
      suppliers: 50_000,
      customers: 500_000,
      addresses: 1_500_000,
      bank_accounts: 1_000_000,
      loans: 500_000,
      installments: 12_000_000,
      financial_transactions: 10_000_000,
      credit_limits: 500_000,
      contracts: 500_000,
    },
  },
  perf: {
    baseline: {
      users: 5_000,
      consultants: 2_500,
      account_categories: 200,
      suppliers: 5_000,
      customers: 50_000,
      addresses: 150_000,
      bank_accounts: 100_000,
      loans: 50_000,
      installments: 1_200_000,
      financial_transactions: 1_000_000,
      credit_limits: 50_000,
      contracts: 50_000,
    },
    load: {
      users: 500_000,
      consultants: 250_000,
      account_categories: 200,
      suppliers: 500_000,
      customers: 5_000_000,
      addresses: 15_000_000,
      bank_accounts: 10_000_000,
      loans: 5_000_000,
      installments: 120_000_000,
      financial_transactions: 100_000_000,
      credit_limits: 5_000_000,
      contracts: 5_000_000,
    },
    dr: {
      users: 500_000,
      consultants: 250_000,
      account_categories: 200,
      suppliers: 500_000,
      customers: 5_000_000,
      addresses: 15_000_000,
      bank_accounts: 10_000_000,
      loans: 5_000_000,
      installments: 120_000_000,
      financial_transactions: 100_000_000,
      credit_limits: 5_000_000,
      contracts: 5_000_000,
    },
  },
  prod: {
    baseline: {
      users: 100,
      consultants: 50,
      account_categories: 50,
      suppliers: 100,
      customers: 1_000,
      addresses: 3_000,
      bank_accounts: 2_000,
      loans: 1_000,
      installments: 24_000,
      financial_transactions: 20_000,
      credit_limits: 1_000,
      contracts: 1_000,
    },
  },
} as const satisfies Record<Environment, Partial<Record<Mode, Record<Exclude<Entity, "tenants">, number>>>>;

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
  const modes: Partial<Record<Mode, Record<Exclude<Entity, "tenants">, number>>> | undefined = Q11_CAPS[environment];
  return modes?.[mode]?.[entity];
}
