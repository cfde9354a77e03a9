import { describe, expect, test } from "bun:test";
import { isManifest, ManifestSchema, parseManifest, validateManifest } from "../../src/manifest/index.ts";
import { readProfile } from "./utils.ts";

const base = parseManifest(readProfile("configs/seed_profiles/dev/banco-alfa.yaml")).manifest;

function everyObjectIsClosed(schema: unknown, path = "#"): string[] {
  if (schema === null || typeof schema !== "object") return [];
  const node = schema as Record<string, unknown>;
  const open = node.type === "object" && node.additionalProperties !== false ? [path] : [];
  return [
    ...open,
    ...Object.entries(node).flatMap(([k, v]) =>
      k.startsWith("x-semente") ? [] : everyObjectIsClosed(v, `${path}/${k}`),
    ),
  ];
}

describe("validateManifest", () => {
  test("returns no issues for a valid manifest and never throws", () => {
    expect(validateManifest(base)).toEqual([]);
    expect(isManifest(base)).toBe(true);
    expect(validateManifest(null)).toEqual([
      { pointer: "", code: "VALIDATION_FAILED", message: "must be a mapping (object)" },
    ]);
    expect(isManifest("schema_version: 1")).toBe(false);
  });

  test("reports every structural issue with a pointer", () => {
    const broken = { ...structuredClone(base), mode: "turbo", batch_size: 0, extra: true } as unknown;
    const issues = validateManifest(broken);
    expect(issues).toEqual(
      expect.arrayContaining([
        { pointer: "/mode", code: "VALIDATION_FAILED", message: "must be one of: baseline, load, dr" },
        { pointer: "/batch_size", code: "VALIDATION_FAILED", message: "must be >= 1" },
        { pointer: "", code: "VALIDATION_FAILED", message: "unknown field" },
      ]),
    );
    expect(issues).toHaveLength(3);
  });

  test("a non-integer count and a negative count are refused", () => {
    const broken = structuredClone(base);
    broken.volumetry.users.count = 1.5;
    broken.volumetry.suppliers.count = -1;
    expect(validateManifest(broken).map((i) => [i.pointer, i.message])).toEqual([
      ["/volumetry/users/count", "must be an integer"],
      ["/volumetry/suppliers/count", "must be >= 0"],
    ]);
  });

  test("cross-field rules: p99 below p95, lock over statement timeout, min throughput over cap", () => {
    const broken = structuredClone(base);
    broken.slo = { p95_batch_ms: 2000, p99_batch_ms: 1000, min_rows_per_second: 20_000, max_error_rate: 0.05 };
    broken.timeouts = { statement_timeout_ms: 5_000, lock_timeout_ms: 6_000 };
    expect(validateManifest(broken).map((i) => i.pointer)).toEqual([
      "/timeouts/lock_timeout_ms",
      "/slo/p99_batch_ms",
      "/slo/min_rows_per_second",
    ]);
  });

  test("a canary section is refused: the manifest has no canary scope (see docs/runtime-governance.md)", () => {
    expect(isManifest({ ...base, canary: { enabled: true, tenants: ["banco-alfa"] } })).toBe(false);
  });

  test("the schema closes every object (unknown fields always fail)", () => {
    expect(everyObjectIsClosed(ManifestSchema)).toEqual([]);
  });
});

describe("dr_targets", () => {
  const dr = parseManifest(readProfile("configs/seed_profiles/staging/banco-beta.yaml")).manifest;

  test("dr_targets - a DR manifest may set tighter targets; the spec's are the ceiling", () => {
    expect(validateManifest({ ...structuredClone(dr), dr_targets: { rto_seconds: 300, rpo_seconds: 0 } })).toEqual([]);
    expect(validateManifest({ ...structuredClone(dr), dr_targets: {} })).toEqual([]);
    const loose = validateManifest({ ...structuredClone(dr), dr_targets: { rto_seconds: 3601, rpo_seconds: 301 } });
    expect(loose.map((i) => `${i.pointer}: ${i.message}`)).toEqual([
      "/dr_targets/rto_seconds: must be <= 3600",
      "/dr_targets/rpo_seconds: must be <= 300",
    ]);
    expect(validateManifest({ ...structuredClone(dr), dr_targets: { rto_seconds: 0 } })[0]?.pointer).toBe(
      "/dr_targets/rto_seconds",
    );
  });

  test("dr_targets - refused outside dr mode, where no drill would read it", () => {
    const issues = validateManifest({ ...structuredClone(base), dr_targets: { rto_seconds: 300 } });
    expect(issues).toEqual([
      {
        pointer: "/dr_targets",
        code: "VALIDATION_FAILED",
        message: "dr_targets is only allowed in dr mode (only a DR drill reads it)",
      },
    ]);
  });
});
