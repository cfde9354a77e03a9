import { earliestLoanContractDay, maxLoanAgeMonths } from "../factories/loan-timeline.ts";
import { IOF_CREDIT_RATES, toEpochDay, toIsoDate } from "../finance/index.ts";
import { isModeAllowed, MODES_BY_ENVIRONMENT, q11Cap } from "./caps.ts";
import { plannedRows } from "./plan.ts";
import { resolveManifest } from "./resolve.ts";
import { isValidUtcDatetime, parseHhmm, parseTtlSeconds } from "./time.ts";
import {
  ENTITIES,
  ENTITY_PARENTS,
  type Manifest,
  type ManifestIssue,
  MAX_CHILDREN_PER_PARENT,
  Mode,
  VOLUMETRY_ENTITIES,
} from "./types.ts";

const MAX_TTL_SECONDS = 30 * 24 * 3600;

/** Cross-field rules of a structurally valid manifest; each issue names its pointer and code. */
export function checkRules(m: Manifest): ManifestIssue[] {
  return [
    ...checkDatetime(m),
    ...checkIofTable(m),
    ...checkModeAndCaps(m),
    ...checkRelationships(m),
    ...checkFlags(m),
    ...checkStateDistribution(m),
    ...checkOperations(m),
    ...checkDrTargets(m),
  ];
}

/** `dr_targets` acts only in a DR drill, and drills run only DR manifests. */
function checkDrTargets(m: Manifest): ManifestIssue[] {
  if (m.dr_targets === undefined || m.mode === Mode.dr) return [];
  return [issue("/dr_targets", "dr_targets is only allowed in dr mode (only a DR drill reads it)")];
}

function issue(pointer: string, message: string, code: ManifestIssue["code"] = "VALIDATION_FAILED"): ManifestIssue {
  return { pointer, message, code };
}

function checkDatetime(m: Manifest): ManifestIssue[] {
  if (isValidUtcDatetime(m.reference_datetime)) return [];
  return [issue("/reference_datetime", "is not a real calendar date-time")];
}

/**
 * Loans are contracted before the reference date (up to {@link maxLoanAgeMonths} months and 27
 * days); each needs an IOF rate in force on its contract date, so the earliest possible contract
 * may not precede the IOF table. Refused here, not when the seeder reaches such a loan.
 */
function checkIofTable(m: Manifest): ManifestIssue[] {
  if (!isValidUtcDatetime(m.reference_datetime)) return [];
  const earliest = earliestLoanContractDay(m);
  const first = IOF_CREDIT_RATES[0]!.from;
  if (earliest === undefined || earliest >= toEpochDay(first)) return [];
  return [
    issue(
      "/reference_datetime",
      `loans may be contracted as early as ${toIsoDate(earliest)} (${maxLoanAgeMonths(m)} months and up to 27 days before reference_datetime), before the IOF rate table starts on ${first}`,
    ),
  ];
}

function checkModeAndCaps(m: Manifest): ManifestIssue[] {
  const { environment } = m.metadata;
  if (!isModeAllowed(environment, m.mode)) {
    const allowed = MODES_BY_ENVIRONMENT[environment].join(", ");
    return [
      issue(
        "/mode",
        `mode '${m.mode}' is not allowed in environment '${environment}' (allowed: ${allowed}; load and dr run only in staging and perf)`,
        "MODE_NOT_ALLOWED",
      ),
    ];
  }
  const issues: ManifestIssue[] = [];
  const scope = `${environment}/${m.mode}`;
  for (const entity of VOLUMETRY_ENTITIES) {
    const { count, cap } = m.volumetry[entity];
    const q11 = q11Cap(environment, m.mode, entity) ?? 0;
    if (cap > q11) {
      issues.push(
        issue(`/volumetry/${entity}/cap`, `cap exceeds the Q11 cap ${q11} for ${entity} in ${scope}`, "CAP_EXCEEDED"),
      );
    }
    if (count > cap) {
      issues.push(issue(`/volumetry/${entity}/count`, "count exceeds the manifest's cap", "CAP_EXCEEDED"));
    }
  }
  const installments = m.volumetry.loans.count * m.volumetry.loans.term_months;
  const q11Installments = q11Cap(environment, m.mode, "installments") ?? 0;
  if (installments > q11Installments) {
    issues.push(
      issue(
        "/volumetry/loans/term_months",
        `derived installments (loans.count × term_months) exceed the Q11 cap ${q11Installments} in ${scope}`,
        "CAP_EXCEEDED",
      ),
    );
  }
  return issues;
}

function checkRelationships(m: Manifest): ManifestIssue[] {
  const { perEntity } = plannedRows(m);
  const issues: ManifestIssue[] = [];
  for (const entity of VOLUMETRY_ENTITIES) {
    if (perEntity[entity] === 0) continue;
    const missing = ENTITY_PARENTS[entity].filter((parent) => perEntity[parent] === 0);
    if (missing.length > 0) {
      issues.push(
        issue(`/volumetry/${entity}/count`, `${entity} need at least one row of ${missing.join(" and ")} (count is 0)`),
      );
    }
  }
  for (const [child, { parent, max }] of Object.entries(MAX_CHILDREN_PER_PARENT)) {
    const children = perEntity[child as keyof typeof perEntity];
    if (perEntity[parent] > 0 && children > max * perEntity[parent]) {
      issues.push(issue(`/volumetry/${child}/count`, `${child} exceed ${max} per ${parent} row`));
    }
  }
  return issues;
}

function checkFlags(m: Manifest): ManifestIssue[] {
  const { perEntity } = plannedRows(m);
  return ENTITIES.filter((e) => perEntity[e] > 0 && m.flags[e] !== true).map((e) =>
    issue(
      `/flags/${e}`,
      m.flags[e] === false
        ? `flag for '${e}' is off but rows are planned`
        : `flag for '${e}' is missing but rows are planned (flags fail closed)`,
      "FLAG_OFF",
    ),
  );
}

function checkStateDistribution(m: Manifest): ManifestIssue[] {
  if (m.state_distribution === undefined) return [];
  if (m.mode === Mode.baseline) {
    return [
      issue(
        "/state_distribution",
        "state_distribution is only allowed in load and dr modes; baseline writes happy states only",
      ),
    ];
  }
  const issues: ManifestIssue[] = [];
  for (const [entity, states] of Object.entries(m.state_distribution)) {
    const sum = Object.values(states ?? {}).reduce<number>((a, b) => a + (b ?? 0), 0);
    // Percentages may be fractional; compare with a tolerance so 33.3 + 33.3 + 33.4 is 100.
    if (sum > 100 + 1e-9) {
      issues.push(issue(`/state_distribution/${entity}`, `state percentages of ${entity} sum to more than 100`));
    }
  }
  return issues;
}

function checkOperations(m: Manifest): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const { rate_limit: rl, slo, window } = m;
  if (rl.target_rows_per_second > rl.cap_rows_per_second) {
    issues.push(issue("/rate_limit/target_rows_per_second", "target_rows_per_second exceeds cap_rows_per_second"));
  }
  if (rl.backoff.max_ms < rl.backoff.initial_ms) {
    issues.push(issue("/rate_limit/backoff/max_ms", "max_ms is below initial_ms"));
  }
  for (const mode of Object.values(Mode)) {
    const seconds = parseTtlSeconds(m.ttl[mode]) ?? 0;
    if (seconds === 0 || seconds > MAX_TTL_SECONDS) {
      issues.push(issue(`/ttl/${mode}`, "ttl must be more than 0 and at most 30 days"));
    }
  }
  if (parseHhmm(window.start_utc) === parseHhmm(window.end_utc)) {
    issues.push(issue("/window/end_utc", "end_utc must differ from start_utc"));
  }
  const timeouts = resolveManifest(m).timeouts;
  if (timeouts.lock_timeout_ms > timeouts.statement_timeout_ms) {
    issues.push(
      issue(
        "/timeouts/lock_timeout_ms",
        "lock_timeout_ms exceeds statement_timeout_ms (the mode's default when not set)",
      ),
    );
  }
  if (slo.p99_batch_ms < slo.p95_batch_ms) {
    issues.push(issue("/slo/p99_batch_ms", "p99_batch_ms is below p95_batch_ms"));
  }
  if (slo.min_rows_per_second > rl.cap_rows_per_second) {
    issues.push(issue("/slo/min_rows_per_second", "min_rows_per_second exceeds cap_rows_per_second"));
  }
  return issues;
}
