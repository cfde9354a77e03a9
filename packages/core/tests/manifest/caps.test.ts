import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ENTITIES,
  Environment,
  isModeAllowed,
  MODES_BY_ENVIRONMENT,
  Mode,
  Q11_CAPS,
  q11Cap,
} from "../../src/manifest/index.ts";
import { REPO_ROOT } from "./utils.ts";

describe("Q11 caps", () => {
  test("load and dr are allowed only in staging and perf; baseline everywhere", () => {
    for (const env of Object.values(Environment)) {
      expect(isModeAllowed(env, Mode.baseline)).toBe(true);
      const dedicated = env === "staging" || env === "perf";
      expect(isModeAllowed(env, Mode.load)).toBe(dedicated);
      expect(isModeAllowed(env, Mode.dr)).toBe(dedicated);
    }
    expect(MODES_BY_ENVIRONMENT.prod).toEqual(["baseline"]);
  });

  test("every allowed combination caps every entity; tenants is always 1", () => {
    for (const env of Object.values(Environment)) {
      for (const mode of MODES_BY_ENVIRONMENT[env]) {
        for (const entity of ENTITIES) {
          const cap = q11Cap(env, mode, entity);
          expect(Number.isInteger(cap)).toBe(true);
          expect(cap).toBeGreaterThan(0);
        }
        expect(q11Cap(env, mode, "tenants")).toBe(1);
      }
    }
    expect(q11Cap("dev", "load", "customers")).toBeUndefined();
  });

  test("examples from the table: dev baseline 10k customers, perf load 5M, prod small", () => {
    expect(q11Cap("dev", "baseline", "customers")).toBe(10_000);
    expect(q11Cap("perf", "load", "customers")).toBe(5_000_000);
    expect(q11Cap("prod", "baseline", "customers")).toBeLessThanOrEqual(1_000);
  });

  test("the published JSON Schema carries the caps and the allowed modes", () => {
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, "contracts/seed-profile.schema.json"), "utf8"));
    expect(schema["x-semente-caps"]).toEqual(JSON.parse(JSON.stringify(Q11_CAPS)));
    expect(schema["x-semente-modes-by-environment"].staging).toEqual(["baseline", "load", "dr"]);
    expect(schema.additionalProperties).toBe(false);
  });
});
