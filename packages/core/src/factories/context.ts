import {
  createPermutation,
  createStream,
  entityNamespace,
  parseReferenceDatetime,
  prepareNamespace,
  type RowIdNamespace,
  type Stream,
  streamSeed,
  toEpochDay,
} from "../determinism/index.ts";
import { SementeError } from "../errors/index.ts";
import { ENTITIES, ENTITY_PARENTS, ENTITY_STATES, type Entity, plannedRows } from "../manifest/index.ts";
import { createPiiMasker } from "../pii/index.ts";
import { isoDay } from "./codes.ts";
import { createStatePlan, stateCounts } from "./states.ts";
import type { GenerationContext, GenerationContextOptions, InstallmentPlan, Spread, StatePlan } from "./types.ts";

/** The DB allows at most 420 installments per loan (`loans.term_months`, `installments.number`). */
export const MAX_TERM_MONTHS = 420;

/** Products of `credit_limits`; a customer holds at most one limit per product. */
export const CREDIT_PRODUCTS = ["overdraft", "credit_card", "personal_loan", "payroll_loan"] as const;

const HAPPY: Record<keyof typeof ENTITY_STATES, string> = {
  customers: "active",
  bank_accounts: "active",
  loans: "active",
  installments: "open",
  credit_limits: "active",
  contracts: "active",
};

function invalid(pointer: string, message: string): SementeError {
  return new SementeError("VALIDATION_FAILED", message, { errors: [{ pointer, message }] });
}

function buildStatePlans(opts: GenerationContextOptions, counts: Record<Entity, number>, tenant: string) {
  const states: Partial<Record<Entity, StatePlan>> = {};
  const distribution = opts.manifest.state_distribution;
  if (distribution === undefined || opts.manifest.mode === "baseline") return states;
  for (const entity of ["customers", "bank_accounts", "loans", "credit_limits", "contracts"] as const) {
    const given = distribution[entity] as Record<string, number | undefined> | undefined;
    if (given === undefined) continue;
    const names = ENTITY_STATES[entity];
    states[entity] = createStatePlan(
      `${opts.manifestHash}\n${tenant}\n${entity}`,
      names,
      names.map((s) => given[s] ?? 0),
      HAPPY[entity],
      counts[entity],
    );
  }
  return states;
}

function spread(target: number, loans: number, term: number, pointer: string, what: string): Spread | undefined {
  if (loans === 0) return undefined;
  const placed = Math.min(target, loans * term);
  if (placed < loans) {
    throw invalid(pointer, `${target} ${what} installments cannot cover ${loans} loans with at least one each`);
  }
  return { base: Math.floor(placed / loans), rem: placed % loans };
}

function buildInstallmentPlan(
  opts: GenerationContextOptions,
  ctx: Omit<GenerationContext, "installments">,
  tenant: string,
): InstallmentPlan {
  const [nDefaulted = 0, nCancelled = 0, nPaid = 0] = ctx.states.loans?.counts ?? [];
  const nonActive = nDefaulted + nCancelled + nPaid;
  const given = opts.manifest.mode === "baseline" ? undefined : opts.manifest.state_distribution?.installments;
  const natural: InstallmentPlan = {
    nonActive,
    defaultedLoans: nDefaulted,
    overduePerDefaulted: undefined,
    cancelledPerCancelled: undefined,
    extraOverdue: 0,
    extraCancelled: 0,
    permutation: undefined,
  };
  if (given === undefined) return natural;
  const T = ctx.term;
  const [overdue, cancelled] = stateCounts([given.overdue ?? 0, given.cancelled ?? 0], ctx.counts.installments) as [
    number,
    number,
  ];
  const pointer = "/state_distribution/installments";
  const overduePerDefaulted = spread(overdue, nDefaulted, T, pointer, "overdue");
  const cancelledPerCancelled = spread(cancelled, nCancelled, T, pointer, "cancelled");
  const extraOverdue = overdue - Math.min(overdue, nDefaulted * T);
  const extraCancelled = cancelled - Math.min(cancelled, nCancelled * T);
  const activeInstallments = (ctx.counts.loans - nonActive) * T;
  if (extraOverdue + extraCancelled > activeInstallments) {
    throw invalid(
      pointer,
      `installment states need ${extraOverdue + extraCancelled} installments of active loans, which hold ${activeInstallments}`,
    );
  }
  return {
    ...natural,
    overduePerDefaulted,
    cancelledPerCancelled,
    extraOverdue,
    extraCancelled,
    permutation:
      extraOverdue + extraCancelled > 0
        ? createPermutation(`${opts.manifestHash}\n${tenant}\ninstallments\nstates`, activeInstallments)
        : undefined,
  };
}

/**
 * Precomputes everything a run needs to generate any row of any entity: streams, ID namespaces,
 * the PII masker, state plans and counts. Pure: no clock, no I/O. Throws VALIDATION_FAILED when
 * the volumetry cannot be generated consistently and KEY_VERSION_MISMATCH when `keyVersion`
 * differs from the manifest's.
 */
export function createGenerationContext(opts: GenerationContextOptions): GenerationContext {
  const { manifest } = opts;
  if (opts.keyVersion !== manifest.key_version) {
    throw new SementeError("KEY_VERSION_MISMATCH", "the FPE key version differs from the manifest's key_version");
  }
  const tenant = manifest.metadata.tenant;
  const counts = plannedRows(manifest).perEntity;
  const term = manifest.volumetry.loans.term_months;
  if (term > MAX_TERM_MONTHS) {
    throw invalid("/volumetry/loans/term_months", `term_months above ${MAX_TERM_MONTHS} does not fit the schema`);
  }
  for (const entity of ENTITIES) {
    if (counts[entity] === 0) continue;
    for (const parent of ENTITY_PARENTS[entity]) {
      if (counts[parent] === 0)
        throw invalid(`/volumetry/${entity}/count`, `${entity} needs at least one ${parent} row`);
    }
  }
  if (counts.credit_limits > CREDIT_PRODUCTS.length * counts.customers) {
    throw invalid(
      "/volumetry/credit_limits/count",
      `credit_limits may not exceed ${CREDIT_PRODUCTS.length} per customer (one per product)`,
    );
  }
  const streams = {} as Record<Entity, Stream>;
  const namespaces = {} as Record<Entity, RowIdNamespace>;
  for (const entity of ENTITIES) {
    streams[entity] = createStream(streamSeed({ manifestHash: opts.manifestHash, tenant, entity }));
    namespaces[entity] = prepareNamespace(entityNamespace(tenant, entity));
  }
  const refDay = toEpochDay(parseReferenceDatetime(manifest.reference_datetime));
  const masker = createPiiMasker({ key: opts.fpeKey });
  const recentDays = Array.from({ length: 91 }, (_, d) => isoDay(refDay - d));
  const base = {
    manifest,
    manifestHash: opts.manifestHash,
    tenant,
    keyVersion: opts.keyVersion,
    counts,
    refDay,
    term,
    loanCustomers: Math.min(counts.customers, counts.bank_accounts),
    branches: Math.max(1, Math.min(9998, Math.ceil(counts.consultants / 8))),
    masker,
    streams,
    namespaces,
    states: buildStatePlans(opts, counts, tenant),
    accountNumbers: createPermutation(`${opts.manifestHash}\n${tenant}\naccount-numbers`, 90_000_000),
    tenantIspb: masker.cnpj(0, "tenants").slice(0, 8),
    recentDays,
    recentDaysCompact: recentDays.map((d) => d.replaceAll("-", "")),
  };
  return Object.freeze({ ...base, installments: buildInstallmentPlan(opts, base, tenant) });
}
