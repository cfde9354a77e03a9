export { describeDifference, inSample, verifyRows } from "./rows.ts";
export type {
  EntityVerification,
  RowDifference,
  RowDifferenceKind,
  RowVerification,
  VerifyRowsOptions,
} from "./rows.ts";
