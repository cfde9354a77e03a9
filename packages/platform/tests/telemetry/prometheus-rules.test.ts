import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { parse } from "yaml";
import { SLI_METRICS } from "../../src/telemetry/index.ts";

const ROOT = join(import.meta.dir, "../../../..");
const RULES_DIR = join(ROOT, "deploy/prometheus");
const SLO_DOC = readFileSync(join(ROOT, "docs/slo/seed-data.md"), "utf8");
const NAMES = new Set<string>(Object.values(SLI_METRICS).map((m) => m.name));
const DURATION = /^\d+(ms|s|m|h|d|w|y)$/;

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const files = readdirSync(RULES_DIR).filter((f) => /\.ya?ml$/.test(f));
const groups = files.flatMap(
  (f) => (parse(readFileSync(join(RULES_DIR, f), "utf8")) as { groups: { name: string; rules: Rule[] }[] }).groups,
);
const rules = groups.flatMap((g) => g.rules);

/** PromQL syntax errors of `expr` (the Prometheus project's own Lezer grammar). */
function syntaxErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
}

/** A sample name's metric family: `_bucket`/`_sum`/`_count` of a histogram belong to it. */
const family = (name: string) => (NAMES.has(name) ? name : name.replace(/_(bucket|sum|count)$/, ""));

describe("prometheus rules", () => {
  test("rules - the rule files parse as Prometheus rule groups with well-formed rules", () => {
    expect(files.length).toBeGreaterThan(0);
    expect(groups.length).toBeGreaterThan(0);
    expect(new Set(groups.map((g) => g.name)).size).toBe(groups.length);
    for (const rule of rules) {
      expect(typeof rule.expr).toBe("string");
      expect((rule.record === undefined) !== (rule.alert === undefined)).toBe(true);
      if (rule.record !== undefined) expect(rule.record).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      if (rule.alert !== undefined) {
        expect(rule.alert).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
        expect(["page", "ticket"]).toContain(rule.labels?.severity as string);
        expect(rule.annotations?.summary).toBeString();
        expect(existsInRepo(rule.annotations?.runbook ?? "")).toBe(true);
      }
      if (rule.for !== undefined) expect(rule.for).toMatch(DURATION);
    }
  });

  test("rules - every expression is valid PromQL", () => {
    for (const rule of rules)
      expect({ expr: rule.expr, errors: syntaxErrors(rule.expr) }).toEqual({ expr: rule.expr, errors: [] });
    expect(syntaxErrors("sum(rate(x[5m]) /")).not.toEqual([]);
  });

  test("rules - every metric an expression names is one the services expose or a recorded series", () => {
    const recorded = new Set(rules.flatMap((r) => (r.record === undefined ? [] : [r.record])));
    for (const rule of rules) {
      for (const name of rule.expr.match(/\bsemente_[a-z_]+/g) ?? []) expect(NAMES).toContain(family(name));
      for (const name of rule.expr.match(/\bsemente:[a-z_:0-9]+/g) ?? []) expect(recorded).toContain(name);
    }
    // The SLIs with objectives are all used.
    const used = rules.map((r) => r.expr).join("\n");
    for (const key of ["batchDuration", "rowsWritten", "httpRequests", "dlqSize", "telemetryExportUp"] as const) {
      expect(used).toContain(SLI_METRICS[key].name);
    }
  });

  test("rules - the SLO doc names exactly the metrics the code registers", () => {
    const inDoc = new Set((SLO_DOC.match(/\bsemente_[a-z_]+/g) ?? []).map(family));
    expect([...inDoc].filter((n) => !NAMES.has(n))).toEqual([]);
    expect([...NAMES].filter((n) => !inDoc.has(n))).toEqual([]);
  });
});

function existsInRepo(path: string): boolean {
  try {
    readFileSync(join(ROOT, path));
    return true;
  } catch {
    return false;
  }
}
