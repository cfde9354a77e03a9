export { batchDigestColumns, createBatchDigester, digestBatch, referenceBatchDigest } from "./batch-digest.ts";
export { ByteSink, specialUnits } from "./byte-sink.ts";
export { runDatasetDigest } from "./dataset-digest.ts";
export { BatchFailedMessageSchema, decodeBatchFailed, encodeBatchFailed } from "./failed-message.ts";
export type { BatchFailedMessage } from "./failed-message.ts";
export {
  BatchMessageSchema,
  batchMsgId,
  batchSubject,
  CheckpointMessageSchema,
  checkpointSubject,
  DLQ_STREAM,
  decodeBatch,
  decodeCheckpoint,
  encodeMessage,
  PipelineStream,
} from "./messages.ts";
export { createPacer, PACING_WINDOW_MS, pacingPlan } from "./pacing.ts";
export {
  compareEntityPlanOrder,
  comparePlanOrder,
  ENTITY_LEVELS,
  FK_PARENTS,
  PLAN_ENTITY_ORDER,
  planBatches,
} from "./plan.ts";
export { BatchState, createRunProgress, digestHex, normalizeDigest } from "./progress.ts";
export { createSloGate, percentile, SLO_MIN_SAMPLES, SLO_WINDOW } from "./slo.ts";
export type { BatchDigester } from "./batch-digest.ts";
export type { DigestedBatch } from "./dataset-digest.ts";
export type { BatchMessage, CheckpointMessage } from "./messages.ts";
export type { Pacer, PacingInput, PacingPlan } from "./pacing.ts";
export type { BatchPlan, PlannedBatch } from "./plan.ts";
export type { EntityProgress, RunProgress, TrackedBatch } from "./progress.ts";
export type { SloGate, SloReading, SloThresholds } from "./slo.ts";
