export { createAdmission } from "./admission.ts";
export { claimLease, isCasConflict, isStale, readLease, releaseLease, renewLease } from "./lease.ts";
export { isUnderMaintenance } from "./queue.ts";
export type { ClaimResult, HeldLease, LeaseValue } from "./lease.ts";
export type { Admission, AdmissionOptions, PromoteResult, SubmitResult } from "./types.ts";
