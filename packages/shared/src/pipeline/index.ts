export {
  BatchFailedMessageSchema,
  createDlqEnricher,
  DlqHeader,
  decodeBatchFailed,
  encodeBatchFailed,
  getDlqRecord,
  listDlq,
  recordFromMsg,
  replayDlq,
  storeDeadBatch,
} from "./dlq.ts";
export { abandonDlqReplay, claimDlqReplay, completeDlqReplay } from "./dlq-replays.ts";
export { type DlqReplayDeps, type DlqReplayOutcome, dlqReplayKey, replayDeadBatch } from "./dlq-replay.ts";
export { createPacer, PACING_WINDOW_MS, pacingPlan } from "./pacing.ts";
export { createSloGate, percentile, SLO_MIN_SAMPLES, SLO_WINDOW } from "./slo.ts";
export { batchDigestColumns, digestBatch, referenceBatchDigest } from "./batch-digest.ts";
export {
  bulkInsert,
  copyLines,
  createStagingTable,
  DEFAULT_WRITE_PATH,
  unnestStatement,
  WritePath,
} from "./bulk-insert.ts";
export { copyText, type EncodedBatch, encodeRows } from "./row-encoding.ts";
export { keyProviderFromConfig, KEY_PROVIDER_VARS } from "./key-provider.ts";
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
export { comparePlanOrder, runDatasetDigest } from "./dataset-digest.ts";
export { ENTITY_LEVELS, FK_PARENTS, planBatches } from "./plan.ts";
export { BatchState, createRunProgress, digestHex, normalizeDigest } from "./progress.ts";
export {
  backoffDelay,
  classifyFailure,
  FailureAction,
  IN_PROCESS_BACKOFF,
  NAK_BACKOFF,
  retriesExhausted,
  retryTransient,
  runBackoffDelay,
} from "./retry.ts";
export {
  backoffMs,
  ensurePipelineStreams,
  PIPELINE_DEFAULTS,
  PIPELINE_MODES,
  PIPELINE_VARS,
  pipelineNames,
  pipelineOptionsFromVars,
} from "./streams.ts";
export { createBatchWriter, WriteOutcome } from "./writer.ts";
export type { BatchMessage, CheckpointMessage } from "./messages.ts";
export type {
  BatchFailedMessage,
  DeadBatch,
  DlqEnricher,
  DlqEnricherOptions,
  DlqRecord,
  ReplayResult,
} from "./dlq.ts";
export type { DlqReplayClaim } from "./dlq-replays.ts";
export type { Pacer, PacingInput, PacingPlan } from "./pacing.ts";
export type { SloGate, SloReading, SloThresholds } from "./slo.ts";
export type { KeyProviderConfig } from "./key-provider.ts";
export type { DigestedBatch } from "./dataset-digest.ts";
export type { BatchPlan, PlannedBatch } from "./plan.ts";
export type { EntityProgress, RunProgress, TrackedBatch } from "./progress.ts";
export type {
  EnsurePipelineOptions,
  PipelineMode,
  PipelineNames,
  PipelineNatsOptions,
  PipelineSettings,
} from "./streams.ts";
export type { BulkInsertOptions, CopyLinesOptions } from "./bulk-insert.ts";
export type { BackoffPolicy, FailureClass, RandomBelow, RetryOptions, RunRetryPolicy } from "./retry.ts";
export type { BatchWriter, BatchWriterOptions, WriteResult } from "./writer.ts";
