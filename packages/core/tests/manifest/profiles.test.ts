import { describe, expect, test } from "bun:test";
import {
  Environment,
  estimateCost,
  isModeAllowed,
  manifestHash,
  parseManifest,
  validateManifest,
} from "../../src/manifest/index.ts";
import { canonicalProfilePaths, readCostModel, readProfile } from "./utils.ts";

const paths = canonicalProfilePaths();
const model = readCostModel();

describe("canonical seed profiles", () => {
  test("exist for all five environments and both canonical tenants", () => {
    for (const env of Object.values(Environment)) {
      for (const tenant of ["banco-alfa", "banco-beta"]) {
        expect(paths).toContain(`configs/seed_profiles/${env}/${tenant}.yaml`);
      }
    }
  });

  test.each(paths)("%s validates, matches its path and hashes deterministically", (path) => {
    const text = readProfile(path);
    const first = parseManifest(text, { filename: path });
    const second = parseManifest(text, { filename: path });
    expect(validateManifest(first.manifest)).toEqual([]);
    expect(first.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second.hash).toBe(first.hash);
    expect(manifestHash(structuredClone(first.manifest))).toBe(first.hash);
    const [, , env, file] = path.split("/");
    expect(first.manifest.metadata.environment).toBe(env as Environment);
    expect(`${first.manifest.metadata.tenant}.yaml`).toBe(file as string);
    expect(isModeAllowed(first.manifest.metadata.environment, first.manifest.mode)).toBe(true);
  });

  test.each(paths)("%s is estimated under its budget without alerting", (path) => {
    const { manifest } = parseManifest(readProfile(path), { filename: path });
    const estimate = estimateCost(manifest, model);
    expect(estimate.overBudget).toBe(false);
    expect(estimate.alert).toBe(false);
    expect(estimate.total).toBeGreaterThan(0);
  });

  test("every canonical profile has a distinct hash", () => {
    const hashes = paths.map((p) => parseManifest(readProfile(p), { filename: p }).hash);
    expect(new Set(hashes).size).toBe(paths.length);
  });

  test("dev profiles stay small enough for a quick end-to-end seed, with an always-open window", () => {
    for (const path of paths.filter((p) => p.includes("/dev/"))) {
      const { manifest } = parseManifest(readProfile(path), { filename: path });
      expect(manifest.mode).toBe("baseline");
      expect(manifest.window).toEqual({ start_utc: "00:00", end_utc: "23:59" });
      expect(manifest.volumetry.customers.count).toBeLessThanOrEqual(500);
    }
  });

  test("staging covers both load and dr; perf is load; the rest baseline", () => {
    const modes = Object.fromEntries(
      paths.map((p) => [p.replace("configs/seed_profiles/", ""), parseManifest(readProfile(p)).manifest.mode]),
    );
    expect(modes["staging/banco-alfa.yaml"]).toBe("load");
    expect(modes["staging/banco-beta.yaml"]).toBe("dr");
    expect(modes["perf/banco-alfa.yaml"]).toBe("load");
    expect(modes["prod/banco-alfa.yaml"]).toBe("baseline");
    expect(modes["homolog/banco-beta.yaml"]).toBe("baseline");
  });
});
