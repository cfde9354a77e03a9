import { describe, expect, test } from "bun:test";
import { isSementeError } from "@semente/core/errors";
import { COMMON_VARS, deprecatedVariables, loadConfig } from "../../src/config/index.ts";

const SPECS = { SEMENTE_GLOBAL_SLOTS: COMMON_VARS.SEMENTE_GLOBAL_SLOTS };

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(SPECS, env);
  } catch (error) {
    if (isSementeError(error) && error.code === "CONFIG_INVALID") return error.message;
    throw error;
  }
  return "accepted";
}

describe("deprecated aliases", () => {
  test("the new name alone, an alias alone, or equal aliases are read", () => {
    expect(loadConfig(SPECS, {}).SEMENTE_GLOBAL_SLOTS).toBe(2);
    expect(loadConfig(SPECS, { SEMENTE_GLOBAL_SLOTS: "3" }).SEMENTE_GLOBAL_SLOTS).toBe(3);
    expect(loadConfig(SPECS, { GATEWAY_GLOBAL_SLOTS: "4" }).SEMENTE_GLOBAL_SLOTS).toBe(4);
    expect(loadConfig(SPECS, { PLANNER_GLOBAL_SLOTS: "5" }).SEMENTE_GLOBAL_SLOTS).toBe(5);
    const both = { GATEWAY_GLOBAL_SLOTS: "6", PLANNER_GLOBAL_SLOTS: "6" };
    expect(loadConfig(SPECS, both).SEMENTE_GLOBAL_SLOTS).toBe(6);
  });

  test("two aliases that differ are refused, naming both variables and no value", () => {
    const message = refusal({ GATEWAY_GLOBAL_SLOTS: "2", PLANNER_GLOBAL_SLOTS: "3" });
    expect(message).toContain("SEMENTE_GLOBAL_SLOTS");
    expect(message).toContain("GATEWAY_GLOBAL_SLOTS and PLANNER_GLOBAL_SLOTS");
    expect(message).not.toMatch(/[23]"/);
  });

  test("the new name wins over any alias; an alias's bad value is still validated", () => {
    const env = { SEMENTE_GLOBAL_SLOTS: "7", GATEWAY_GLOBAL_SLOTS: "2", PLANNER_GLOBAL_SLOTS: "3" };
    expect(loadConfig(SPECS, env).SEMENTE_GLOBAL_SLOTS).toBe(7);
    expect(refusal({ GATEWAY_GLOBAL_SLOTS: "0" })).toContain("SEMENTE_GLOBAL_SLOTS: expected an integer in [1, 100]");
  });

  test("deprecatedVariables names every alias in use, without values", () => {
    expect(deprecatedVariables(SPECS, {})).toEqual([]);
    expect(deprecatedVariables(SPECS, { PLANNER_GLOBAL_SLOTS: "4" })).toEqual([
      "PLANNER_GLOBAL_SLOTS is deprecated; set SEMENTE_GLOBAL_SLOTS instead",
    ]);
    expect(deprecatedVariables(SPECS, { SEMENTE_GLOBAL_SLOTS: "4", GATEWAY_GLOBAL_SLOTS: "4" })).toEqual([
      "GATEWAY_GLOBAL_SLOTS is a deprecated alias of SEMENTE_GLOBAL_SLOTS, which is set and wins; unset GATEWAY_GLOBAL_SLOTS",
    ]);
  });
});
