import { type TSchema, Type } from "@sinclair/typebox";
import { MODES_BY_ENVIRONMENT, Q11_CAPS } from "./caps.ts";
import { ENTITIES, ENTITY_STATES, Environment, Mode, VOLUMETRY_ENTITIES } from "./types.ts";

const strict = { additionalProperties: false } as const;

/** Largest value of a PostgreSQL `integer` column (`seed.runs.key_version`). */
export const PG_INTEGER_MAX = 2_147_483_647;
/** The spec's DR targets (R6.8): a drill is over target beyond them, whatever the manifest says. */
export const SPEC_RTO_SECONDS = 3_600;
export const SPEC_RPO_SECONDS = 300;
/** An SLO batch ceiling above an hour is no gate at all. */
const MAX_SLO_BATCH_MS = 3_600_000;

/** Union of string literals; `x-semente-enum` lets the validator say "must be one of …". */
const oneOf = <const T extends readonly string[]>(values: T, description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description, "x-semente-enum": values },
  );

export const SLUG_PATTERN = "^[a-z0-9][a-z0-9-]{1,62}$";
export const HHMM_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
export const UTC_DATETIME_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?Z$";
export const TTL_PATTERN = "^P(?=[0-9]|T[0-9])(?:([0-9]+)W)?(?:([0-9]+)D)?(?:T([0-9]+)H)?$";

const slug = (description: string) =>
  Type.String({ pattern: SLUG_PATTERN, description, "x-semente-hint": "a slug: lowercase letters, digits, '-'" });
const hhmm = (description: string) =>
  Type.String({ pattern: HHMM_PATTERN, description, "x-semente-hint": "HH:MM in UTC, 00:00 to 23:59" });
const ttl = (description: string) =>
  Type.String({
    pattern: TTL_PATTERN,
    description,
    "x-semente-hint": "an ISO 8601 duration in weeks/days/hours, e.g. P7D",
  });
const count = (description: string, maximum = 1_000_000_000) => Type.Integer({ minimum: 0, maximum, description });

const volumeEntry = (entity: string) =>
  Type.Object(
    {
      count: count(`Rows of ${entity} to generate; <= cap.`),
      cap: count(`The manifest's own ceiling for ${entity}; <= the Q11 cap.`),
    },
    strict,
  );

const loanEntry = Type.Object(
  {
    count: count("Loans to generate; <= cap."),
    cap: count("The manifest's own ceiling for loans; <= the Q11 cap."),
    term_months: Type.Integer({
      minimum: 1,
      maximum: 420,
      description: "Installments per loan; installments = count x term_months.",
    }),
  },
  strict,
);

const volumetry = Type.Object(
  Object.fromEntries(VOLUMETRY_ENTITIES.map((e) => [e, e === "loans" ? loanEntry : volumeEntry(e)])) as Record<
    string,
    TSchema
  >,
  { ...strict, description: "Rows per entity. tenants is always 1 row; installments are derived from loans." },
);

const percentage = Type.Number({ minimum: 0, maximum: 100 });
const stateDistribution = Type.Object(
  Object.fromEntries(
    Object.entries(ENTITY_STATES).map(([entity, states]) => [
      entity,
      Type.Optional(
        Type.Object(Object.fromEntries(states.map((s) => [s, Type.Optional(percentage)])), {
          ...strict,
          description: `Percentages of non-happy ${entity} states; sum <= 100.`,
        }),
      ),
    ]),
  ),
  { ...strict, description: "Load/DR only (forbidden in baseline)." },
);

/**
 * The seed-profile v1 schema. Structural rules live here; cross-field rules (caps, flags,
 * windows, relationships, mode × environment) are checked by `validateManifest` and published
 * as the `x-semente-*` extensions so a reader of the JSON Schema sees them too.
 */
export const ManifestSchema = Type.Object(
  {
    schema_version: Type.Literal(1, { description: "Manifest schema version; must be 1." }),
    metadata: Type.Object(
      {
        environment: oneOf(Object.values(Environment), "Target environment."),
        tenant: slug("Tenant slug; the one tenants row."),
        profile: Type.String({
          pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
          description: "Profile name.",
          "x-semente-hint": "letters, digits, '.', '_', '-' (max 64)",
        }),
        version: Type.String({
          pattern: "^[0-9]+\\.[0-9]+\\.[0-9]+(?:[-+][0-9A-Za-z.+-]+)?$",
          maxLength: 64,
          description: "Manifest revision (semver-like).",
          "x-semente-hint": "MAJOR.MINOR.PATCH",
        }),
        owner: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "Owning team." })),
      },
      strict,
    ),
    mode: oneOf(Object.values(Mode), "Seeding mode; load/dr only in staging and perf."),
    reference_datetime: Type.String({
      pattern: UTC_DATETIME_PATTERN,
      description: "ISO 8601 UTC instant ending in Z; all generated dates derive from it.",
      "x-semente-hint": "an ISO 8601 UTC date-time ending in Z, e.g. 2025-01-01T00:00:00Z",
    }),
    key_version: Type.Integer({ minimum: 1, maximum: PG_INTEGER_MAX, description: "PII masking key version." }),
    volumetry,
    state_distribution: Type.Optional(stateDistribution),
    rate_limit: Type.Object(
      {
        target_rows_per_second: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        cap_rows_per_second: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        backoff: Type.Object(
          {
            initial_ms: Type.Integer({ minimum: 1, maximum: 60_000 }),
            max_ms: Type.Integer({ minimum: 1, maximum: 600_000 }),
            multiplier: Type.Number({ minimum: 1, maximum: 10 }),
            max_retries: Type.Integer({ minimum: 0, maximum: 20 }),
          },
          strict,
        ),
      },
      { ...strict, description: "Central rate limit; target <= cap." },
    ),
    ttl: Type.Object(
      { baseline: ttl("Baseline retention."), load: ttl("Load retention."), dr: ttl("DR retention.") },
      { ...strict, description: "Retention per mode, each > 0 and <= 30 days." },
    ),
    budget: Type.Object(
      {
        max_cost: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, description: "Maximum cost." }),
        currency: Type.String({ pattern: "^[A-Z]{3}$", description: "ISO 4217 code.", "x-semente-hint": "ISO 4217" }),
      },
      strict,
    ),
    window: Type.Object(
      { start_utc: hhmm("Window start (UTC)."), end_utc: hhmm("Window end (UTC); < start crosses midnight.") },
      { ...strict, description: "One off-peak window per day; start != end." },
    ),
    timeouts: Type.Optional(
      Type.Object(
        {
          statement_timeout_ms: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 120_000 })),
          lock_timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 30_000 })),
        },
        { ...strict, description: "Defaults: baseline 30000/5000 ms, load and dr 90000/15000 ms." },
      ),
    ),
    batch_size: Type.Integer({ minimum: 1, maximum: 10_000, description: "Rows per batch." }),
    flags: Type.Object(Object.fromEntries(ENTITIES.map((e) => [e, Type.Optional(Type.Boolean())])), {
      ...strict,
      description: "Every entity that will be written needs its flag true (fail-closed).",
    }),
    slo: Type.Object(
      {
        p95_batch_ms: Type.Integer({ minimum: 1, maximum: MAX_SLO_BATCH_MS }),
        p99_batch_ms: Type.Integer({ minimum: 1, maximum: MAX_SLO_BATCH_MS }),
        min_rows_per_second: Type.Number({ minimum: 0, maximum: 1_000_000 }),
        max_error_rate: Type.Number({
          minimum: 0,
          maximum: 1,
          description: "Error budget: largest share of failed batch deliveries among the last 50 outcomes.",
        }),
      },
      { ...strict, description: "Runtime SLO gate; p95 <= p99." },
    ),
    dr_targets: Type.Optional(
      Type.Object(
        {
          rto_seconds: Type.Optional(
            Type.Integer({ minimum: 1, maximum: SPEC_RTO_SECONDS, description: "Loss to rows verified, seconds." }),
          ),
          rpo_seconds: Type.Optional(
            Type.Integer({ minimum: 0, maximum: SPEC_RPO_SECONDS, description: "Acknowledged data lost, seconds." }),
          ),
        },
        {
          ...strict,
          description: "DR mode only: the drill's targets; each at most the spec's (RTO 3600 s, RPO 300 s).",
        },
      ),
    ),
  },
  {
    ...strict,
    $id: "https://semente.dev/schemas/seed-profile/v1.json",
    title: "Semente seed profile (manifest) v1",
    "x-semente-caps": Q11_CAPS,
    "x-semente-modes-by-environment": MODES_BY_ENVIRONMENT,
  },
);

/** The JSON Schema document published at `contracts/seed-profile.schema.json`. */
export function manifestJsonSchema(): Record<string, unknown> {
  return { $schema: "https://json-schema.org/draft/2020-12/schema", ...ManifestSchema };
}
