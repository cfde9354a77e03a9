export { decodeCursor, encodeCursor } from "./cursor.ts";
export { createRun, getRun, listRuns, requireRun, transitionRun, withdrawRun } from "./repository.ts";
export { runEtag, toRunResource } from "./resource.ts";
export { assertTransition, canTransition, isRunState, isTerminalState, RunState, TERMINAL_STATES } from "./states.ts";
export type { RunCursor } from "./cursor.ts";
export type {
  ListRunsOptions,
  NewRun,
  Run,
  RunMode,
  RunOperation,
  RunPage,
  RunPatch,
  RunResource,
  TransitionOptions,
} from "./types.ts";
export { decodeSse, encodeSse, encodeSseComment, type SseMessage } from "./sse.ts";
export {
  cursorOf,
  diffRunSnapshots,
  type DlqStreamEntry,
  type EntityStreamProgress,
  loadRunSnapshot,
  parseStreamCursor,
  type RunSnapshot,
  type RunStreamEvent,
  snapshotOf,
  type StreamCursor,
} from "./stream.ts";
