/**
 * THE entity registry: every table of the `banking` schema Semente fills, once. `ENTITIES`,
 * `VOLUMETRY_ENTITIES`, `ENTITY_PARENTS`, the planner's `FK_PARENTS` and the platform's
 * `BANKING_TABLES` (and from it the purge order) are derived from it; the per-entity tables that
 * must be written by hand (factories, contracts, column lists, Q11 caps, cost model, published
 * schemas) are `Record<Entity, …>` typed and checked against it by
 * `packages/core/tests/manifest/entities.test.ts`, and the database by
 * `packages/platform/tests/db/entity-registry.test.ts` (tables, foreign keys, RLS, policies,
 * grants, maintenance trigger).
 *
 * Order matters: it is foreign-key order (every entity after all it references) and, after FK
 * level, the plan order (`comparePlanOrder`) the dataset digest depends on. Append a new entity
 * after its parents; never reorder existing ones.
 *
 * - `parents`: what the factories compute FK targets from (at least one row of each is needed to
 *   generate a child, `validateManifest` says so). `tenants` always exists.
 * - `references`: further tables the schema's foreign keys point at (optional references, e.g. a
 *   customer's consultant). `parents` + `references` are the FK parents a batch waits for.
 * - `volume`: `tenant` is always exactly one row (the manifest's `metadata.tenant`); `stated` is
 *   counted in `volumetry`; `derived` is computed (installments = loans × term_months).
 */
export const ENTITY_REGISTRY = {
  tenants: { parents: [], references: [], volume: "tenant" },
  users: { parents: ["tenants"], references: [], volume: "stated" },
  consultants: { parents: ["tenants"], references: ["users"], volume: "stated" },
  account_categories: { parents: ["tenants"], references: [], volume: "stated" },
  suppliers: { parents: ["tenants"], references: ["account_categories"], volume: "stated" },
  customers: { parents: ["tenants"], references: ["consultants"], volume: "stated" },
  addresses: { parents: ["customers"], references: [], volume: "stated" },
  bank_accounts: { parents: ["customers", "account_categories"], references: [], volume: "stated" },
  loans: { parents: ["customers", "bank_accounts"], references: [], volume: "stated" },
  installments: { parents: ["loans"], references: [], volume: "derived" },
  financial_transactions: { parents: ["bank_accounts"], references: ["loans"], volume: "stated" },
  credit_limits: { parents: ["customers"], references: [], volume: "stated" },
  contracts: { parents: ["customers"], references: ["loans"], volume: "stated" },
} as const satisfies Record<string, EntitySpec>;

/** One registry entry (see {@link ENTITY_REGISTRY}). */
export interface EntitySpec {
  parents: readonly string[];
  references: readonly string[];
  volume: "tenant" | "stated" | "derived";
}

type Registry = typeof ENTITY_REGISTRY;
export type Entity = keyof Registry;
/** Entities whose row count the manifest states in `volumetry`. */
export type VolumetryEntity = { [E in Entity]: Registry[E]["volume"] extends "stated" ? E : never }[Entity];

/** Entities of the `banking` schema in foreign-key order (the registry's order). */
export const ENTITIES: readonly Entity[] = Object.keys(ENTITY_REGISTRY) as Entity[];

/** Entities whose row count the manifest states in `volumetry` (all but `tenants` and `installments`). */
export const VOLUMETRY_ENTITIES: readonly VolumetryEntity[] = ENTITIES.filter(
  (e) => ENTITY_REGISTRY[e].volume === "stated",
) as VolumetryEntity[];

/**
 * Parents each entity needs at least one row of (the factories compute FK targets by ordinal
 * arithmetic, so a child without parents cannot be generated). `tenants` always exists.
 */
export const ENTITY_PARENTS: { readonly [E in Entity]: Registry[E]["parents"] } = Object.fromEntries(
  ENTITIES.map((e) => [e, ENTITY_REGISTRY[e].parents]),
) as { [E in Entity]: Registry[E]["parents"] };

/** Every table an entity's rows reference: its `parents` and its optional `references`. */
export const ENTITY_FK_PARENTS: Readonly<Record<Entity, readonly Entity[]>> = Object.fromEntries(
  ENTITIES.map((e): [Entity, readonly Entity[]] => [
    e,
    [...ENTITY_REGISTRY[e].parents, ...ENTITY_REGISTRY[e].references] as Entity[],
  ]),
) as Record<Entity, readonly Entity[]>;
