export { comparePlanOrder } from "@semente/core/pipeline";
export { buildReport, recomputeDatasetDigest, REPORTABLE_STATES } from "./build.ts";
export { readCheckpoints } from "./facts.ts";
export { buildChecklist, percentile } from "./checklist.ts";
export { canonicalReportBytes, pae, parseEnvelope, sha256Hex, signEnvelope, verifyEnvelope } from "./dsse.ts";
export { assertNoPiiOrSecrets, classifyString, findPiiOrSecrets, SuspectKind } from "./scan.ts";
export { assertEvidenceReport, EvidenceReportSchema, evidenceReportJsonSchema } from "./schema.ts";
export { createEvidenceService, findEvidence } from "./service.ts";
export { CheckId, CheckStatus, EVIDENCE_SCHEMA_VERSION } from "./report-types.ts";
export { EVIDENCE_PAYLOAD_TYPE } from "./types.ts";
export { MIN_RETENTION_DAYS } from "./worm-types.ts";
export { verifyEvidence } from "./verify.ts";
export {
  assertRetentionDays,
  assertRetentionFloor,
  assertWormAvailable,
  assertWormKey,
  evidenceKey,
  retainUntil,
} from "./worm.ts";
export { assertWormVars, WORM_VARS, wormStoreFromConfig } from "./worm-config.ts";
export { bootstrapWormBucket } from "./worm-bootstrap.ts";
export type { BootstrapWormBucketOptions, BootstrapWormBucketResult } from "./worm-bootstrap.ts";
export { createFsWormStore } from "./worm-fs.ts";
export { createS3WormStore } from "./worm-s3.ts";
export { evidenceJwks, jwkFromPem, recordEvidenceKey } from "./keys.ts";
export { readWormLocation } from "./worm-read.ts";
export { publicEvidenceLocation } from "./public-location.ts";
export type { EvidenceOwner } from "./public-location.ts";
export type { EvidenceJwk } from "./keys.ts";
export type { WormReadOptions } from "./worm-read.ts";
export type { AuditFact, BatchFact, CheckpointFact, ChecklistInput } from "./checklist.ts";
export type { VerifiedEnvelope } from "./dsse.ts";
export type { Finding } from "./scan.ts";
export type { CheckItem, EvidenceReport, ReportBatch, ReportCost, ReportDr, ReportEntity } from "./report-types.ts";
export type {
  BuildReportOptions,
  DsseEnvelope,
  DsseSignature,
  EvidenceIndexEntry,
  EvidenceService,
  EvidenceServiceOptions,
  ProduceResult,
} from "./types.ts";
export type { WormObjectInfo, WormPutOptions, WormStore } from "./worm-types.ts";
export type { EvidenceVerification, VerifyEvidenceOptions } from "./verify.ts";
export type { WormVars } from "./worm-config.ts";
export type { FsWormStoreOptions } from "./worm-fs.ts";
export type { S3WormStoreOptions } from "./worm-s3.ts";
