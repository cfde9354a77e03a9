import { describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderSchema, SCHEMAS } from "../../../../scripts/export-schemas.ts";
import { REPO_ROOT } from "./utils.ts";

const SCRIPT = join(REPO_ROOT, "scripts/export-schemas.ts");

function run(...args: string[]) {
  const proc = Bun.spawnSync(["bun", SCRIPT, ...args], { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

function withCopy(fn: (root: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), "semente-schemas-"));
  try {
    cpSync(join(REPO_ROOT, "contracts"), join(root, "contracts"), { recursive: true });
    fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe("scripts/export-schemas.ts", () => {
  test("registers the seed profile and cost model schemas", () => {
    const paths = SCHEMAS.map((s) => s.path);
    expect(paths).toContain("contracts/seed-profile.schema.json");
    expect(paths).toContain("contracts/finops/seed-data.cost-model.schema.json");
    expect(new Set(paths).size).toBe(paths.length);
  });

  test("checked-in schemas are byte-identical to the generated ones (--check exits 0)", () => {
    for (const entry of SCHEMAS) {
      expect(readFileSync(join(REPO_ROOT, entry.path), "utf8")).toBe(renderSchema(entry));
    }
    const result = run("--check");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("up to date");
  });

  test("--check detects a drifted copy and prints a diff", () => {
    withCopy((root) => {
      const file = join(root, "contracts/seed-profile.schema.json");
      writeFileSync(file, readFileSync(file, "utf8").replace('"customers": 10000', '"customers": 99999'));
      const result = run("--check", "--root", root);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("contracts/seed-profile.schema.json: drifted");
      expect(result.stderr).toContain('-         "customers": 99999');
      expect(result.stderr).toContain('+         "customers": 10000');
    });
  });

  test("--check reports a missing schema, and regenerating fixes it", () => {
    withCopy((root) => {
      rmSync(join(root, "contracts/finops"), { recursive: true });
      const missing = run("--check", "--root", root);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("contracts/finops/seed-data.cost-model.schema.json: missing");
      expect(run("--root", root).code).toBe(0);
      expect(run("--check", "--root", root).code).toBe(0);
    });
  });
});
