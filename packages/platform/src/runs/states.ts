import { SementeError } from "@semente/core/errors";

/** Lifecycle states of a seed run (ARCHITECTURE.md "Run states"). */
export const RunState = {
  /** Created and waiting for a global slot and the tenant lease (queue TTL applies). */
  QUEUED: "queued",
  /** Holds a global slot and the tenant × environment lease; the planner may start. */
  ADMITTED: "admitted",
  /** The planner is running preflight and expanding the manifest into batches. */
  PLANNING: "planning",
  /** Seeders are committing batches. */
  RUNNING: "running",
  /**
   * Held by the planner: its off-peak window closed, so no batch is released; it keeps its leases
   * and returns to `running` by itself when the window opens again.
   */
  PAUSED: "paused",
  /** Every batch committed and the evidence is written. */
  COMPLETED: "completed",
  /** Stopped by an error (including a lost lease). */
  FAILED: "failed",
  /** Cancelled by a principal. */
  CANCELLED: "cancelled",
  /** Waited in the queue longer than its TTL. */
  EXPIRED: "expired",
  /** Stopped by a guard: budget, window or SLO gate. */
  ABORTED: "aborted",
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

const ALL_STATES: ReadonlySet<string> = new Set(Object.values(RunState));

/** States a run never leaves. */
export const TERMINAL_STATES: ReadonlySet<RunState> = new Set<RunState>([
  RunState.COMPLETED,
  RunState.FAILED,
  RunState.CANCELLED,
  RunState.EXPIRED,
  RunState.ABORTED,
]);

const TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
  queued: ["admitted", "expired", "cancelled"],
  admitted: ["planning", "cancelled", "failed", "aborted"],
  planning: ["running", "failed", "cancelled", "aborted"],
  running: ["completed", "failed", "cancelled", "aborted", "paused"],
  paused: ["running", "failed", "cancelled", "aborted"],
  completed: [],
  failed: [],
  cancelled: [],
  expired: [],
  aborted: [],
};

export function isRunState(value: unknown): value is RunState {
  return typeof value === "string" && ALL_STATES.has(value);
}

export function isTerminalState(state: RunState): boolean {
  return TERMINAL_STATES.has(state);
}

/** Whether the lifecycle allows going from `from` to `to` directly. */
export function canTransition(from: RunState, to: RunState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws `INVALID_STATE` unless `from → to` is allowed. */
export function assertTransition(from: RunState, to: RunState): void {
  if (!canTransition(from, to)) {
    throw new SementeError("INVALID_STATE", `A run in state '${from}' cannot become '${to}'`, {
      extensions: { from, to },
    });
  }
}
