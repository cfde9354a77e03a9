export {
  createDlqEnricher,
  DlqHeader,
  getDlqRecord,
  listDlq,
  recordFromMsg,
  replayDlq,
  storeDeadBatch,
} from "./dlq.ts";
export { abandonDlqReplay, claimDlqReplay, completeDlqReplay } from "./dlq-replays.ts";
export { type DlqReplayDeps, type DlqReplayOutcome, dlqReplayKey, replayDeadBatch } from "./dlq-replay.ts";
export {
  bulkInsert,
  copyLines,
  createStagingTable,
  DEFAULT_WRITE_PATH,
  unnestStatement,
  WritePath,
} from "./bulk-insert.ts";
export { copyChunks, copyText } from "./copy-text.ts";
export { keyProviderFromConfig, KEY_PROVIDER_VARS } from "./key-provider.ts";
export { createMemoryGovernor, type MemoryCheck, type MemoryGovernor, type MemoryGovernorOptions } from "./memory.ts";
export {
  decodePurge,
  decodePurged,
  encodePurge,
  isPurgeMessage,
  PurgedMessageSchema,
  PurgeMessageSchema,
  purgedSubject,
  purgeMsgId,
  safePurge,
} from "./purge-messages.ts";
export type { PurgedMessage, PurgeMessage } from "./purge-messages.ts";
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
export { PIPELINE_DEFAULTS, PIPELINE_MODES, PIPELINE_VARS, pipelineNames } from "./names.ts";
export { backoffMs, ensurePipelineStreams, pipelineOptionsFromVars } from "./streams.ts";
export { createBatchWriter, WriteOutcome } from "./writer.ts";
export type {
  DeadBatch,
  DlqEnricher,
  DlqEnricherOptions,
  DlqRecord,
  ReplayResult,
} from "./dlq.ts";
export type { DlqReplayClaim } from "./dlq-replays.ts";
export type { KeyProviderConfig } from "./key-provider.ts";
export type { PipelineMode, PipelineNames, PipelineNatsOptions, PipelineSettings } from "./names.ts";
export type { EnsurePipelineOptions } from "./streams.ts";
export type { BulkInsertOptions, CopyLinesOptions } from "./bulk-insert.ts";
export type { BackoffPolicy, FailureClass, RandomBelow, RetryOptions, RunRetryPolicy } from "./retry.ts";
export type { BatchWriter, BatchWriterOptions, WriteResult } from "./writer.ts";
