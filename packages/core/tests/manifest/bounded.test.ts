import { describe, expect, test } from "bun:test";
import { MAX_REPORTED_ISSUES, manifestJsonSchema, parseManifest } from "../../src/manifest/index.ts";
import { parseError, readProfile, replaceOnce } from "./utils.ts";

const DEV = readProfile("configs/seed_profiles/dev/banco-alfa.yaml");
const HOSTILE = "x'; DROP TABLE seed.runs; --";

/** Every `type: number|integer` node of a JSON Schema, with its pointer. */
function numericNodes(node: unknown, pointer = ""): { pointer: string; schema: Record<string, unknown> }[] {
  if (typeof node !== "object" || node === null) return [];
  const schema = node as Record<string, unknown>;
  const numeric = (schema.type === "number" || schema.type === "integer") && schema.const === undefined;
  const here = numeric ? [{ pointer, schema }] : [];
  return [
    ...here,
    ...Object.entries(schema).flatMap(([key, child]) =>
      key === "x-semente-caps" ? [] : numericNodes(child, `${pointer}/${key}`),
    ),
  ];
}

describe("parseManifest - bounded work and bodies", () => {
  test("thousands of unknown keys: the first issues are reported, the rest only counted", () => {
    const extra = Array.from({ length: 5000 }, (_, i) => `${HOSTILE}${i}: ${i}`).join("\n");
    const error = parseError(`${DEV}\n${extra}\n`);
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.errors).toHaveLength(MAX_REPORTED_ISSUES);
    expect(error.extensions.issues_omitted).toBe(5000 - MAX_REPORTED_ISSUES);
    const body = JSON.stringify({ detail: error.message, errors: error.errors });
    expect(body.length).toBeLessThan(16_384);
    expect(body).not.toContain("DROP TABLE");
    expect(error.errors?.[0]).toMatchObject({ pointer: "", message: "unknown field" });
    expect(error.errors?.[0]?.line).toBe(DEV.split("\n").length + 1);
  });

  test("thousands of duplicate keys are found in one pass and capped", () => {
    const dupes = Array.from({ length: 20_000 }, () => "mode: baseline").join("\n");
    const error = parseError(`${DEV}\n${dupes}\n`);
    expect(error.code).toBe("MALFORMED_INPUT");
    expect(error.errors).toHaveLength(MAX_REPORTED_ISSUES);
    expect(Number(error.extensions.issues_omitted)).toBeGreaterThan(19_000);
  });

  test("the most specific code wins even when its issue is past the reported ones", () => {
    const extra = Array.from({ length: 100 }, (_, i) => `u${i}: 1`).join("\n");
    const error = parseError(`${replaceOnce(DEV, "mode: baseline", "mode: load")}\n${extra}\n`);
    // Structural issues stop the cross-field rules, so the unknown keys are what is reported.
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.errors).toHaveLength(MAX_REPORTED_ISSUES);
  });

  test("YAML and JSON syntax errors never quote the source", () => {
    const marker = "zqxjkmarker";
    for (const [text, options] of [
      [`${DEV}\nsecret: *${marker}\n`, {}],
      [`key: !${marker} value\n`, {}],
      [`key: "${marker}\\q"\n`, {}],
      [`{"a": ${marker}}`, { contentType: "application/json" }],
      [`{"${marker}": 1, "${marker}": 2}`, { contentType: "application/json" }],
    ] as const) {
      const error = parseError(text, options);
      expect(["MALFORMED_INPUT", "VALIDATION_FAILED"]).toContain(error.code);
      expect(JSON.stringify([error.message, error.errors])).not.toContain(marker);
    }
  });

  test("a pathologically nested document is MALFORMED_INPUT, not a crash", () => {
    const error = parseError(`${"[".repeat(50_000)}${"]".repeat(50_000)}`);
    expect(error.code).toBe("MALFORMED_INPUT");
  });

  test("schema_version of another type is refused without echoing it", () => {
    const error = parseError(replaceOnce(DEV, "schema_version: 1", `schema_version: "${HOSTILE}"`));
    expect(error.code).toBe("UNSUPPORTED_MANIFEST_VERSION");
    expect(JSON.stringify(error.errors)).not.toContain("DROP");
  });
});

describe("manifest schema - numeric ranges", () => {
  test("every numeric field has a lower and an upper bound", () => {
    const nodes = numericNodes(manifestJsonSchema());
    expect(nodes.length).toBeGreaterThan(20);
    const unbounded = nodes
      .filter(({ schema }) => schema.maximum === undefined || (schema.minimum ?? schema.exclusiveMinimum) === undefined)
      .map(({ pointer }) => pointer);
    expect(unbounded).toEqual([]);
  });

  test("key_version beyond a PostgreSQL integer is a validation issue", () => {
    const error = parseError(replaceOnce(DEV, "key_version: 1", "key_version: 2147483648"));
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.errors?.map((i) => [i.pointer, i.message])).toEqual([["/key_version", "must be <= 2147483647"]]);
    expect(parseManifest(replaceOnce(DEV, "key_version: 1", "key_version: 2147483647")).manifest.key_version).toBe(
      2_147_483_647,
    );
  });

  test("infinities, NaN and year 0 are refused", () => {
    expect(parseError(replaceOnce(DEV, "key_version: 1", "key_version: .inf")).code).toBe("VALIDATION_FAILED");
    expect(parseError(replaceOnce(DEV, "key_version: 1", "key_version: .nan")).code).toBe("VALIDATION_FAILED");
    const year0 = DEV.replace(/reference_datetime: "?\d{4}/, 'reference_datetime: "0000');
    expect(parseError(year0).errors?.[0]?.pointer).toBe("/reference_datetime");
  });
});
