import { describe, expect, test } from "bun:test";
import { createManifestParser, parseUncached } from "../../src/http/manifest-cache.ts";
import { profile } from "../utils.ts";

describe("manifest cache", () => {
  test("manifest cache - the same text parses once into a frozen manifest equal to an uncached parse", () => {
    const parse = createManifestParser();
    const text = profile("dev", "banco-alfa");
    const first = parse(text, "application/yaml");
    expect(parse(text, "application/yaml")).toBe(first);
    expect(first).toEqual(parseUncached(text, "application/yaml"));
    expect(Object.isFrozen(first.manifest.metadata)).toBe(true);
    expect(parse(`${text}\n# another body\n`, "application/yaml")).not.toBe(first);
  });

  test("manifest cache - a broken manifest throws the same problem every time", () => {
    const parse = createManifestParser({ maxEntries: 1 });
    const broken = profile("dev", "banco-alfa").replace("key_version: 1", "key_version: 0");
    const errors = [0, 1].map(() => {
      try {
        parse(broken, "application/yaml");
        return undefined;
      } catch (error) {
        return error as { code: string };
      }
    });
    expect(errors[0]?.code).toBe("VALIDATION_FAILED");
    expect(errors[1]).toBe(errors[0]);
  });
});
