import { describe, expect, test } from "bun:test";
import { isSementeError } from "@semente/core/errors";
import {
  assertTransition,
  canTransition,
  isRunState,
  isTerminalState,
  RunState,
  TERMINAL_STATES,
} from "../../src/runs/index.ts";

const ALL = Object.values(RunState);

describe("run states", () => {
  test("runs - the lifecycle allows exactly the documented transitions", () => {
    const allowed = ALL.flatMap((from) => ALL.filter((to) => canTransition(from, to)).map((to) => `${from}>${to}`));
    expect(allowed.sort()).toEqual(
      [
        "queued>admitted",
        "queued>expired",
        "queued>cancelled",
        "admitted>planning",
        "admitted>cancelled",
        "admitted>failed",
        "admitted>aborted",
        "planning>running",
        "planning>failed",
        "planning>cancelled",
        "planning>aborted",
        "running>completed",
        "running>failed",
        "running>cancelled",
        "running>aborted",
        "running>paused",
        "paused>running",
        "paused>failed",
        "paused>cancelled",
        "paused>aborted",
      ].sort(),
    );
  });

  test("runs - terminal states have no way out", () => {
    expect([...TERMINAL_STATES].sort()).toEqual(["aborted", "cancelled", "completed", "expired", "failed"]);
    for (const state of TERMINAL_STATES) {
      expect(isTerminalState(state)).toBe(true);
      expect(ALL.some((to) => canTransition(state, to))).toBe(false);
    }
    expect(isTerminalState("running")).toBe(false);
    expect(isTerminalState("paused")).toBe(false);
  });

  test("runs - assertTransition throws INVALID_STATE with from/to", () => {
    expect(() => assertTransition("queued", "admitted")).not.toThrow();
    let caught: unknown;
    try {
      assertTransition("completed", "cancelled");
    } catch (error) {
      caught = error;
    }
    expect(isSementeError(caught)).toBe(true);
    if (!isSementeError(caught)) return;
    expect(caught.code).toBe("INVALID_STATE");
    expect(caught.status).toBe(409);
    expect(caught.extensions).toEqual({ from: "completed", to: "cancelled" });
  });

  test("runs - isRunState recognises only the ten states", () => {
    expect(ALL.every(isRunState)).toBe(true);
    expect(ALL).toHaveLength(10);
    expect(isRunState("paused")).toBe(true);
    expect(isRunState("resumed")).toBe(false);
    expect(isRunState(3)).toBe(false);
  });
});
