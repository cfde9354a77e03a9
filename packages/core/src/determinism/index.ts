export { ColumnType, canonicalRowEncoding, createBatchDigest, DATASET_DIGEST_DOMAIN, datasetDigest } from "./digest.ts";
export {
  addBusinessDays,
  addBusinessEpochDays,
  bankHolidays,
  dayOfWeek,
  easterSunday,
  epochDayOf,
  epochDayToIso,
  fromEpochDay,
  isBusinessDay,
  isBusinessEpochDay,
  parseReferenceDatetime,
  toEpochDay,
} from "./dates.ts";
export { createPermutation } from "./permutation.ts";
export { createStream, fieldId, fmix, streamSeed, weightedTable } from "./stream.ts";
export {
  bytesToUuid,
  entityNamespace,
  prepareNamespace,
  MAX_ROW_ORDINAL,
  rowId,
  SEMENTE_ROOT_NAMESPACE,
  uuidToBytes,
  uuidv5,
} from "./uuid.ts";
export type { BatchDigest, ColumnSpec } from "./digest.ts";
export type { Permutation } from "./permutation.ts";
export type { Field, Stream, WeightedTable } from "./stream.ts";
export type { RowIdNamespace } from "./uuid.ts";
