import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type CliOutcome, runCli } from "../utils.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const DEV = resolve(import.meta.dir, "../../../../configs/seed_profiles/dev/banco-alfa.yaml");

function validate(text: string): Promise<CliOutcome> {
  const file = join(mkdtempSync(join(tmpdir(), "semente-validate-")), "manifest.yaml");
  writeFileSync(file, text);
  return runCli(MAIN, ["validate", file]);
}

describe("validate command - IOF rate table boundary", () => {
  test("validate - exits 3 naming /reference_datetime when loans would predate the IOF table", async () => {
    const text = readFileSync(DEV, "utf8");
    expect(text).toContain('reference_datetime: "2025-01-01T00:00:00Z"');
    const early = await validate(text.replace("2025-01-01T00:00:00Z", "2021-06-01T00:00:00Z"));
    expect(early.code).toBe(3);
    expect(early.stderr).toContain("/reference_datetime");
    expect(early.stderr).toContain("IOF rate table starts on 2021-01-01");
    const ok = await validate(text);
    expect(ok.code).toBe(0);
  });
});
