import { describe, expect, test } from "bun:test";
import { stringify } from "yaml";
import { canonicalJson, manifestHash, parseManifest } from "../../src/manifest/index.ts";
import { readProfile } from "./utils.ts";

const DEV = readProfile("configs/seed_profiles/dev/banco-alfa.yaml");

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reverseKeys(v)]),
  );
}

describe("canonicalJson", () => {
  test("sorts keys by UTF-16 code units and removes whitespace", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], A: { z: 1, é: 2, "\u{1F600}": 3, "\uFFFF": 4 } })).toBe(
      '{"A":{"z":1,"é":2,"\u{1F600}":3,"\uFFFF":4},"a":[true,null,"x"],"b":1}',
    );
  });

  test("writes numbers in ECMAScript shortest form (RFC 8785 samples)", () => {
    expect(canonicalJson([1e21, 1e-7, 0.1, -0, 100, 1.5, 333333333.3333333, 9007199254740991])).toBe(
      "[1e+21,1e-7,0.1,0,100,1.5,333333333.3333333,9007199254740991]",
    );
  });

  test("escapes strings as JSON does", () => {
    expect(canonicalJson({ s: 'q"\\\n\t\u0001' })).toBe('{"s":"q\\"\\\\\\n\\t\\u0001"}');
  });

  test("omits undefined members but refuses values JSON cannot represent", () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow("non-finite number");
    expect(() => canonicalJson({ n: Number.POSITIVE_INFINITY })).toThrow("non-finite number");
    expect(() => canonicalJson([undefined])).toThrow("undefined");
    expect(() => canonicalJson({ d: new Date(0) })).toThrow("non-plain object");
    expect(() => canonicalJson({ b: 1n })).toThrow("bigint");
  });
});

describe("manifestHash", () => {
  const base = parseManifest(DEV);

  test("is stable under key reordering", () => {
    expect(manifestHash(reverseKeys(base.manifest) as typeof base.manifest)).toBe(base.hash);
  });

  test("is stable across YAML formatting and JSON", () => {
    const reformatted = stringify(reverseKeys(base.manifest), { indent: 4, defaultStringType: "QUOTE_DOUBLE" });
    expect(parseManifest(reformatted).hash).toBe(base.hash);
    const json = JSON.stringify(reverseKeys(base.manifest), null, 3);
    expect(parseManifest(json, { filename: "x.json" }).hash).toBe(base.hash);
  });

  test("ignores comments and blank lines", () => {
    const stripped = DEV.split("\n")
      .filter((line) => !line.startsWith("#") && line.trim() !== "")
      .join("\n");
    expect(parseManifest(stripped).hash).toBe(base.hash);
  });

  test("changes when any value changes", () => {
    const changed = structuredClone(base.manifest);
    changed.volumetry.customers.count = 201;
    expect(manifestHash(changed)).not.toBe(base.hash);
    const otherKey = structuredClone(base.manifest);
    otherKey.key_version = 2;
    expect(manifestHash(otherKey)).not.toBe(base.hash);
  });

  test("hashes what was written, not the resolved defaults", () => {
    const withoutTimeouts = structuredClone(base.manifest);
    delete withoutTimeouts.timeouts;
    expect(manifestHash(withoutTimeouts)).not.toBe(base.hash);
    expect(parseManifest(stringify(withoutTimeouts)).manifest.timeouts).toBeUndefined();
  });
});
