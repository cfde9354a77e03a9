import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Glob } from "bun";
import { checkSource, forbiddenDependencies, formatViolations, stripComments } from "./purity-check.ts";

const CORE = join(import.meta.dir, "..");
const SOURCES = [...new Glob("src/**/*.ts").scanSync(CORE)].sort();

// No allowlist: every core file obeys the rule. Code that needs the time or a file takes it as an
// argument (e.g. `parseCostModel(text, path)`; `loadCostModel` lives in @semente/platform/config).
describe("@semente/core is pure", () => {
  test("scans every source file of every concern", () => {
    const concerns = new Set(SOURCES.map((path) => path.split("/")[1]));
    expect([...concerns].sort()).toEqual([
      "contracts",
      "determinism",
      "errors",
      "factories",
      "finance",
      "manifest",
      "pii",
      "pipeline",
    ]);
    expect(SOURCES.length).toBeGreaterThan(60);
  });

  test("no source file imports I/O or platform modules, or reads the clock, randomness or the process", () => {
    const violations = SOURCES.flatMap((path) =>
      checkSource(relative(join(CORE, "../.."), join(CORE, path)), readFileSync(join(CORE, path), "utf8")),
    );
    if (violations.length > 0) console.error(formatViolations(violations));
    expect(formatViolations(violations)).toBe("");
  });

  test("package.json depends on no I/O package and not on @semente/platform", () => {
    const manifest = JSON.parse(readFileSync(join(CORE, "package.json"), "utf8")) as Record<string, unknown>;
    expect(forbiddenDependencies(manifest)).toEqual([]);
    expect(forbiddenDependencies({ dependencies: { postgres: "3", "@semente/platform": "workspace:*" } })).toEqual([
      "postgres",
      "@semente/platform",
    ]);
    expect(
      forbiddenDependencies({ devDependencies: { "@nats-io/kv": "3", "@aws-sdk/client-s3": "3", yaml: "2" } }),
    ).toEqual(["@nats-io/kv", "@aws-sdk/client-s3"]);
  });
});

describe("the checker flags what it must, with file and line", () => {
  test("a clock call", () => {
    const found = checkSource(
      "synthetic/clock.ts",
      "export const a = 1;\nexport const now = (): number => Date.now();\n",
    );
    expect(found).toEqual([
      { file: "synthetic/clock.ts", line: 2, rule: "Date.now", text: "export const now = (): number => Date.now();" },
    ]);
  });

  test("an fs import", () => {
    const found = checkSource("synthetic/fs.ts", '// reads\nimport { readFileSync } from "node:fs";\n');
    expect(found).toEqual([
      {
        file: "synthetic/fs.ts",
        line: 2,
        rule: "imports node:fs",
        text: 'import { readFileSync } from "node:fs";',
      },
    ]);
  });

  test("every other forbidden import and expression", () => {
    const cases: [string, string][] = [
      ['import net from "net";', "imports net"],
      ['import { request } from "node:https";', "imports node:https"],
      ['import { spawn } from "node:child_process";', "imports node:child_process"],
      ['import { Worker } from "node:worker_threads";', "imports node:worker_threads"],
      ['import postgres from "postgres";', "imports postgres"],
      ['import { connect } from "@nats-io/transport-node";', "imports @nats-io/transport-node"],
      ['import { S3Client } from "@aws-sdk/client-s3";', "imports @aws-sdk/client-s3"],
      ['import { trace } from "@opentelemetry/api";', "imports @opentelemetry/api"],
      ['import { createSql } from "@semente/platform/db";', "imports @semente/platform/db"],
      ['export { x } from "../../../platform/src/db/index.ts";', "imports ../../../platform/src/db/index.ts"],
      ['const m = await import("node:fs/promises");', "imports node:fs/promises"],
      ['import "bun";', "imports bun"],
      ["const url = process.env.DATABASE_URL;", "process"],
      ['const url = process["env"];', "process"],
      ["const d = new Date();", "new Date() without argument"],
      ["const s = Date();", "Date() as a function"],
      ["const t = performance.now();", "performance.now"],
      ["const r = Math.random();", "Math.random"],
      ["const id = crypto.randomUUID();", "crypto randomness"],
      ["crypto.getRandomValues(buf);", "crypto randomness"],
      ['const text = await Bun.file("x").text();', "Bun runtime"],
      ["setTimeout(run, 10);", "timer"],
      ['const r = await fetch("http://x");', "network"],
    ];
    for (const [source, rule] of cases) {
      expect({ source, rules: checkSource("s.ts", source).map((v) => v.rule) }).toEqual({ source, rules: [rule] });
    }
  });

  test("pure code, comments and deterministic dates pass", () => {
    const source = [
      'import { createHash } from "node:crypto";',
      'import { Type } from "@sinclair/typebox";',
      "// never Date.now() nor Math.random(): the row is a function of the ordinal",
      "/* process.env is read by the platform */",
      "const day = new Date(Date.UTC(2024, 0, 1));",
      "const at = new Date(ms);",
      "const processed = rows.map((r) => r.processed);",
      "const url = 'https://example.test/path'; // a string with // inside",
    ].join("\n");
    expect(checkSource("s.ts", source)).toEqual([]);
  });

  test("comments are blanked without moving lines", () => {
    const stripped = stripComments('a; // Date.now()\n/* x\n y */ b; "// kept"');
    expect(stripped.split("\n")).toHaveLength(3);
    expect(stripped).not.toContain("Date.now");
    expect(stripped).toContain('"// kept"');
  });
});
