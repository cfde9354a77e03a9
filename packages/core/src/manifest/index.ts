export { computeCost, rowsCost } from "./batch-cost.ts";
export { canonicalJson, escapePointer } from "./canonical-json.ts";
export { ENTITY_FK_PARENTS, ENTITY_REGISTRY } from "./entities.ts";
export type { EntitySpec } from "./entities.ts";
export { isModeAllowed, MODES_BY_ENVIRONMENT, Q11_CAPS, q11Cap } from "./caps.ts";
export { CostModelSchema, costModelJsonSchema, estimateCost, parseCostModel } from "./cost-model.ts";
export { manifestHash } from "./hash.ts";
export { MAX_REPORTED_ISSUES, parseManifest } from "./parse.ts";
export { batchCount, plannedRows } from "./plan.ts";
export { resolveManifest, TIMEOUT_DEFAULTS } from "./resolve.ts";
export { ManifestSchema, manifestJsonSchema, PG_INTEGER_MAX, SPEC_RPO_SECONDS, SPEC_RTO_SECONDS } from "./schema.ts";
export { locatePointer } from "./source-map.ts";
export { assertWithinWindow, isValidUtcDatetime, isWithinWindow, parseHhmm, parseTtlSeconds } from "./time.ts";
export {
  ENTITIES,
  ENTITY_PARENTS,
  ENTITY_STATES,
  Environment,
  MANIFEST_SCHEMA_VERSION,
  MAX_CHILDREN_PER_PARENT,
  Mode,
  VOLUMETRY_ENTITIES,
} from "./types.ts";
export { isManifest, schemaIssues, sourcePointer, validateManifest } from "./validate.ts";
export type { SourcePosition } from "./source-map.ts";
export type {
  Budget,
  CostEstimate,
  CostModel,
  DrTargets,
  Entity,
  EntityUnitCost,
  Flags,
  LoanVolumeEntry,
  Manifest,
  ManifestIssue,
  ManifestMetadata,
  ManifestProblemCode,
  ManifestSource,
  ParsedManifest,
  ParseManifestOptions,
  PlannedRows,
  RateLimit,
  ResolvedManifest,
  Slo,
  StatefulEntity,
  StateDistribution,
  Timeouts,
  Ttl,
  VolumeEntry,
  Volumetry,
  VolumetryEntity,
  Window,
} from "./types.ts";
