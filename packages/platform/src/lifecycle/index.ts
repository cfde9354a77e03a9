export { assertAdmin } from "./admin.ts";
export { clearMaintenance, maintenanceStatus, setMaintenance } from "./maintenance.ts";
export { PURGE_ORDER, purgeTenant } from "./purge.ts";
export { CHECKPOINTS_ENTITY, RunOperation } from "./types.ts";
export type { MaintenanceChange } from "./maintenance.ts";
export type { MaintenanceStatus, PurgeEntity, PurgeOptions, PurgeResult } from "./types.ts";
export { createCheckpointPruner } from "./retention.ts";
export type { CheckpointPruner, CheckpointPrunerOptions, PrunedCheckpoints } from "./retention.ts";
