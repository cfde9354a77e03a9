import { describe, expect, test } from "bun:test";
import { decodeInput, encodeInput, manifestInput } from "../../src/http/manifest-input.ts";
import { profile } from "../utils.ts";

const YAML = profile("dev", "banco-alfa");
const run = (body: unknown) => manifestInput({ kind: "run", text: JSON.stringify(body), json: true });
const issuesOf = (input: ReturnType<typeof manifestInput>) =>
  (input.error as { errors?: { pointer: string; message: string }[] }).errors ?? [];

describe("manifest input", () => {
  test("manifest input - the run envelope carries YAML or a JSON object, and dry_run changes the hash", () => {
    const asYaml = run({ manifest_yaml: YAML });
    const asObject = run({ manifest: Bun.YAML.parse(YAML) });
    const dry = run({ manifest_yaml: YAML, dry_run: true });
    expect(asYaml.error).toBeUndefined();
    expect(asObject.parsed?.hash).toBe(asYaml.parsed?.hash as string);
    expect(dry.dryRun).toBe(true);
    expect(dry.hash).not.toBe(asYaml.hash);
    const body = manifestInput({ kind: "body", text: YAML, json: false });
    expect(body.hash).toBe(body.parsed?.hash as string);
    expect(manifestInput({ kind: "run", text: YAML, json: false }).parsed?.hash).toBe(body.hash);
  });

  test("manifest input - a broken envelope is a problem that never echoes the names or values sent", () => {
    const hostile = "zq'; DROP TABLE x; --";
    expect((manifestInput({ kind: "run", text: `{"a": ${hostile}`, json: true }).error as Error).message).toBe(
      "request body is not valid JSON",
    );
    expect(issuesOf(run([1, 2])).map((i) => i.message)).toContain("must be an object");
    const cases = [
      run({ manifest_yaml: YAML, [hostile]: 1 }),
      run({ manifest_yaml: YAML, dry_run: hostile }),
      run({ manifest_yaml: YAML, manifest: {} }),
      run({}),
      run({ manifest_yaml: 42 }),
    ];
    expect(cases.map((c) => issuesOf(c).map((i) => i.pointer))).toEqual([
      [""],
      ["/dry_run"],
      [""],
      [""],
      ["/manifest_yaml"],
    ]);
    expect(JSON.stringify(cases.map(issuesOf))).not.toContain("DROP");
  });

  test("manifest input - a manifest object nested too deeply to re-serialise is 400, not a crash", () => {
    const text = `{"manifest": ${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
    expect(manifestInput({ kind: "run", text, json: true }).error).toMatchObject({ code: "MALFORMED_INPUT" });
  });

  test("manifest input - encoding for the worker boundary keeps a problem and hides any other error", () => {
    const broken = manifestInput({ kind: "body", text: "a: [", json: false });
    const decoded = decodeInput(encodeInput(broken));
    expect(decoded.error).toMatchObject({ code: "MALFORMED_INPUT", status: 400, name: "SementeError" });
    const odd = decodeInput(encodeInput({ hash: "h", dryRun: false, error: new TypeError("secret detail") }));
    expect(odd.error).toMatchObject({ code: "INTERNAL", message: "manifest parser failed" });
    const ok = manifestInput({ kind: "body", text: YAML, json: false });
    expect(decodeInput(encodeInput(ok))).toEqual(ok);
  });
});
