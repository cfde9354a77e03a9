import { expect } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Glob } from "bun";
import { isSementeError, type SementeError } from "../../src/errors/index.ts";
import {
  type CostModel,
  type ManifestIssue,
  type ParseManifestOptions,
  parseCostModel,
  parseManifest,
} from "../../src/manifest/index.ts";

/** Repository root (tests run from any working directory). */
export const REPO_ROOT = join(import.meta.dir, "../../../..");

/** The checked-in FinOps cost model. */
export const COST_MODEL_PATH = join(REPO_ROOT, "configs/finops/seed-data.cost-model.yaml");

/** The checked-in cost model, validated. */
export function readCostModel(): CostModel {
  return parseCostModel(readFileSync(COST_MODEL_PATH, "utf8"), COST_MODEL_PATH);
}

/** Every canonical profile, as paths relative to the repository root. */
export function canonicalProfilePaths(): string[] {
  return [...new Glob("configs/seed_profiles/*/*.yaml").scanSync(REPO_ROOT)].sort();
}

/** The text of a canonical profile. */
export function readProfile(relative: string): string {
  return readFileSync(join(REPO_ROOT, relative), "utf8");
}

/** `text` with `from` replaced by `to`; fails the test if `from` is absent, so a mutation never silently no-ops. */
export function replaceOnce(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

/** 1-based line of the first occurrence of `needle`. */
export function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  expect(at).toBeGreaterThanOrEqual(0);
  return text.slice(0, at).split("\n").length;
}

/** Parses `text`, asserting it throws a `SementeError`, and returns it. */
export function parseError(text: string, options?: ParseManifestOptions): SementeError {
  try {
    parseManifest(text, options);
  } catch (error) {
    expect(isSementeError(error)).toBe(true);
    return error as SementeError;
  }
  throw new Error("expected parseManifest to throw");
}

/** The single issue at `pointer`, asserting there is exactly one. */
export function issueAt(error: SementeError, pointer: string): ManifestIssue {
  const found = (error.errors ?? []).filter((i) => i.pointer === pointer) as ManifestIssue[];
  expect(found.map((i) => i.pointer)).toEqual([pointer]);
  return found[0] as ManifestIssue;
}
