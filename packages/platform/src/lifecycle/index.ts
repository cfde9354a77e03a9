export { assertAdmin } from "./admin.ts";
export { clearMaintenance, maintenanceStatus, setMaintenance } from "./maintenance.ts";
export { PURGE_ORDER, purgeCompletedAt, purgeTenant } from "./purge.ts";
export { CHECKPOINTS_ENTITY, purgesThenSeeds, RunOperation } from "./types.ts";
export type { MaintenanceChange } from "./maintenance.ts";
export type { MaintenanceStatus, PurgeEntity, PurgeOptions, PurgeResult } from "./types.ts";
export { createCheckpointPruner } from "./retention.ts";
export type { CheckpointPruner, CheckpointPrunerOptions, PrunedCheckpoints } from "./retention.ts";
export { assessDrill, drillTargets } from "./drill.ts";
export type {
  AcknowledgedBatch,
  DrillAssessment,
  DrillFacts,
  DrillTargets,
  DrillVerification,
  RestoredBatch,
} from "./drill.ts";
export { captureLoss, markRegenerated, readDrill, recordVerification } from "./drill-record.ts";
export type { CaptureLossOptions, DrillRunRef } from "./drill-record.ts";
export { verifyDrill } from "./drill-verify.ts";
export type { VerifyDrillOptions } from "./drill-verify.ts";
export {
  assertPurgeRequest,
  assertTenantFree,
  checkPurge,
  newPurgeRun,
  PURGE_REQUEST_VERSION,
  purgedDatasetFacts,
  purgeRequestDocument,
  submitPurgeRun,
} from "./submit.ts";
export type { PurgedDatasetFacts, PurgeRequest, SubmitPurgeDeps } from "./submit.ts";
export { createDatasetCleaner, expiredDatasets, tenantDatasets } from "./datasets.ts";
export type { Dataset, DatasetCleaner, DatasetCleanerOptions, DatasetCleanup } from "./datasets.ts";
