import { type TSchema, Type } from "@sinclair/typebox";
import { type ProblemIssue, SementeError } from "@semente/core/errors";
import { schemaIssues } from "@semente/core/manifest";
import { CheckId, CheckStatus, EVIDENCE_SCHEMA_VERSION, type EvidenceReport } from "./report-types.ts";
import { REQUIRED_CHECK_IDS, ruleIssues } from "./report-rules.ts";

const strict = { additionalProperties: false } as const;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Sha256Ref = Type.String({ pattern: "^sha256:[0-9a-f]{64}$", description: "`sha256:<64 hex>`." });
const Uuid = Type.String({ pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" });
const Instant = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z$" });
const Tenant = Type.String({ pattern: "^[a-z0-9][a-z0-9-]{1,62}$" });
const EnvironmentName = Type.Union(["dev", "homolog", "staging", "perf", "prod"].map((e) => Type.Literal(e)));
const Count = Type.Integer({ minimum: 0 });
const Money = Type.Number({ minimum: 0 });
const EvidenceValue = Type.Union([
  Type.String(),
  Type.Number(),
  Type.Boolean(),
  Type.Null(),
  Type.Array(Type.String()),
  Type.Array(Type.Number()),
]);

const LedgerEvent = Nullable(Type.Object({ amount: Money, ratio: Nullable(Money), recorded_at: Instant }, strict));
const LedgerSchema = Type.Object(
  { estimate: Nullable(Money), measurements: Count, measured: Money, alert: LedgerEvent, abort: LedgerEvent },
  { ...strict, description: "The run's seed.budget_ledger rows: measured = sum of measurements + evidence reserve." },
);
const PauseSchema = Type.Object(
  { reason: Type.String(), paused_at: Instant, resumed_at: Nullable(Instant), duration_s: Nullable(Money) },
  strict,
);

const Seconds = Type.Number({ minimum: 0 });
const DrSchema = Type.Object(
  {
    loss_at: Nullable(Instant),
    purged_at: Nullable(Instant),
    regenerated_at: Nullable(Instant),
    verified_at: Nullable(Instant),
    rto_seconds: Nullable(Seconds),
    rpo_seconds: Nullable(Seconds),
    targets: Nullable(Type.Object({ rto_seconds: Seconds, rpo_seconds: Seconds }, strict)),
    rows_at_loss: Nullable(Count),
    rows_purged: Nullable(Count),
    unexplained_rows: Nullable(Count),
    batches_acknowledged: Nullable(Count),
    batches_restored: Nullable(Count),
    batches_not_restored: Nullable(Count),
    acknowledged_digest: Nullable(Sha256Ref),
    verification: Nullable(
      Type.Object(
        {
          ok: Type.Boolean(),
          role: Type.String({ minLength: 1 }),
          rows_compared: Count,
          differences: Count,
          checkpoint_mismatches: Count,
          first_differences: Type.Array(Type.String({ maxLength: 300 }), { maxItems: 50 }),
        },
        strict,
      ),
    ),
    rpo_basis: Type.String({ minLength: 1, maxLength: 500 }),
  },
  {
    ...strict,
    description:
      "DR drills only: RTO = verified_at - loss_at (null unless the rows verified); RPO = acknowledged data lost (see rpo_basis).",
  },
);

const PurgeSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal("baseline"), Type.Literal("load"), Type.Literal("dr")]),
    rows_deleted: Count,
    deleted: Type.Array(
      Type.Object({ entity: Type.String({ pattern: "^[a-z][a-z0-9_]{1,62}$" }), rows: Count }, strict),
    ),
    completed_at: Nullable(Instant),
    digest_after: Nullable(Sha256Ref),
  },
  {
    ...strict,
    description:
      "The purge phase of a purge or reseed run: rows deleted per entity (children first, then the mode's checkpoints), when the database closed it (nothing of the tenant left), and the digest of the emptied data. Absent for a seed run.",
  },
);

const CheckItemSchema = Type.Object(
  {
    id: Type.Union(Object.values(CheckId).map((id) => Type.Literal(id))),
    status: Type.Union(Object.values(CheckStatus).map((s) => Type.Literal(s))),
    summary: Type.String({ minLength: 1, maxLength: 500 }),
    evidence: Type.Record(Type.String(), EvidenceValue, { description: "The values the verdict rests on." }),
  },
  strict,
);

const BatchSchema = Type.Object(
  {
    entity: Type.String({ pattern: "^[a-z][a-z0-9_]{1,62}$" }),
    batch_index: Count,
    level: Nullable(Count),
    from_ordinal: Count,
    to_ordinal: Count,
    state: Type.String(),
    attempts: Count,
    row_count: Nullable(Count),
    digest: Nullable(Sha256Ref),
    duration_ms: Nullable(Type.Number({ minimum: 0 })),
  },
  strict,
);

/** TypeBox schema of the evidence report, published at `contracts/evidence-report.schema.json`. */
export const EvidenceReportSchema = Type.Object(
  {
    schema_version: Type.Literal(EVIDENCE_SCHEMA_VERSION),
    labels: Type.Object({ tenant: Tenant, environment: EnvironmentName, run_id: Uuid }, strict),
    run: Type.Object(
      {
        id: Uuid,
        tenant: Tenant,
        environment: EnvironmentName,
        mode: Type.Union([Type.Literal("baseline"), Type.Literal("load"), Type.Literal("dr")]),
        operation: Type.Optional(
          Type.Union([Type.Literal("seed"), Type.Literal("purge"), Type.Literal("reseed"), Type.Literal("dr_drill")], {
            description: "Added with purge runs: older reports lack it (they are all seed runs).",
          }),
        ),
        dry_run: Type.Boolean(),
        state: Type.Union(["completed", "failed", "aborted", "cancelled"].map((s) => Type.Literal(s))),
        reason_code: Nullable(Type.String({ pattern: "^[A-Z][A-Z0-9_]*$" })),
        manifest_hash: Sha256Ref,
        manifest_version: Type.String({ minLength: 1 }),
        reference_datetime: Instant,
        key_version: Type.Integer({ minimum: 1 }),
        principal: Type.String({ minLength: 1 }),
      },
      strict,
    ),
    timestamps: Type.Object(
      {
        created_at: Instant,
        started_at: Nullable(Instant),
        finished_at: Nullable(Instant),
        generated_at: Instant,
      },
      strict,
    ),
    trace: Type.Object(
      {
        trace_id: Nullable(Type.String({ pattern: "^[0-9a-f]{32}$" })),
        span_ids: Type.Array(Type.String({ pattern: "^[0-9a-f]{16}$" })),
      },
      strict,
    ),
    entities: Type.Array(
      Type.Object(
        { entity: Type.String(), rows_planned: Nullable(Count), rows_written: Count, batches: Count },
        strict,
      ),
    ),
    batches: Type.Array(BatchSchema),
    dataset: Type.Object(
      {
        digest: Nullable(Sha256Ref),
        recorded_digest: Nullable(Sha256Ref),
        matches_recorded: Type.Boolean(),
        checkpoints: Count,
      },
      strict,
    ),
    volumes: Type.Object(
      { rows_planned: Nullable(Count), rows_written: Count, batches_planned: Count, batches_committed: Count },
      strict,
    ),
    pauses: Type.Optional(
      Type.Array(PauseSchema, {
        description: "Pauses (window closed, or trace export down), oldest first. Added later: older reports lack it.",
      }),
    ),
    purge: Type.Optional(PurgeSchema),
    cost: Type.Object(
      {
        currency: Nullable(Type.String({ pattern: "^[A-Z]{3}$" })),
        budget: Nullable(Money),
        estimated: Nullable(Money),
        measured: Nullable(Money),
        ratio: Nullable(Money),
        breakdown: Nullable(Type.Object({ rows: Money, storage: Money, evidence: Money, compute: Money }, strict)),
        note: Nullable(Type.String()),
        ledger: Type.Optional(Nullable(LedgerSchema)),
        reconciliation: Type.Optional(
          Nullable(
            Type.Object(
              {
                measured_minus_estimated: Type.Number(),
                measured_minus_ledger: Nullable(Type.Number()),
                paused_s: Money,
              },
              strict,
            ),
          ),
        ),
      },
      { ...strict, description: "`ledger` and `reconciliation` were added later: older reports lack them." },
    ),
    dr: Type.Optional(DrSchema),
    checklist: Type.Array(CheckItemSchema, {
      minItems: REQUIRED_CHECK_IDS.length,
      description:
        "One item per check id. `dataset` and `trace` were added later: reports produced before them lack them.",
    }),
  },
  {
    ...strict,
    $id: "https://semente.dev/schemas/evidence-report/v1.json",
    title: "Semente evidence report v1",
    description:
      "Signed run report (DSSE payload `application/vnd.semente.evidence+json`). Never carries PII or secrets.",
  },
);

/** The JSON Schema document published at `contracts/evidence-report.schema.json`. */
export function evidenceReportJsonSchema(): Record<string, unknown> {
  return { $schema: "https://json-schema.org/draft/2020-12/schema", ...EvidenceReportSchema };
}

/**
 * Checks `value` against the report schema and the label rule (labels equal the run's tenant,
 * environment and id); throws `code` (default `VALIDATION_FAILED`) listing every issue.
 */
export function assertEvidenceReport(
  value: unknown,
  code: "VALIDATION_FAILED" | "EVIDENCE_INVALID" = "VALIDATION_FAILED",
): asserts value is EvidenceReport {
  const issues: ProblemIssue[] = schemaIssues(EvidenceReportSchema, value).map(({ pointer, message }) => ({
    pointer,
    message,
  }));
  if (issues.length === 0) issues.push(...ruleIssues(value as EvidenceReport));
  if (issues.length > 0) {
    throw new SementeError(code, `evidence report does not match schema v1 (${issues.length} issue(s))`, {
      errors: issues,
    });
  }
}
