import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isSementeError } from "@semente/core/errors";
import { assertEvidenceReport, evidenceReportJsonSchema } from "../../src/evidence/index.ts";
import { REPO_ROOT, sampleReport } from "./utils.ts";

function issues(value: unknown, code?: "EVIDENCE_INVALID"): { code: string; pointers: string[] } {
  try {
    assertEvidenceReport(value, code);
  } catch (error) {
    if (isSementeError(error)) return { code: error.code, pointers: (error.errors ?? []).map((e) => e.pointer) };
    throw error;
  }
  return { code: "valid", pointers: [] };
}

describe("evidence report schema", () => {
  test("schema - a complete report is valid", () => {
    expect(issues(sampleReport())).toEqual({ code: "valid", pointers: [] });
  });

  test("schema - a report signed before the dataset and trace items still validates; duplicates and evidence-less passes do not", () => {
    const older = sampleReport();
    older.checklist = older.checklist.filter((c) => c.id !== "dataset" && c.id !== "trace");
    expect(issues(older)).toEqual({ code: "valid", pointers: [] });
    const twice = sampleReport();
    twice.checklist.push({ ...(twice.checklist.find((c) => c.id === "dataset") as (typeof twice.checklist)[number]) });
    expect(issues(twice).pointers).toEqual(["/checklist"]);
    const empty = sampleReport();
    (empty.checklist[1] as (typeof empty.checklist)[number]).evidence = { reason: "x", list: [] };
    expect(issues(empty).pointers).toEqual(["/checklist/1/evidence"]);
  });

  test("schema - labels are mandatory and must equal the run's tenant, environment and id", () => {
    const { labels: _labels, ...withoutLabels } = sampleReport();
    expect(issues(withoutLabels).pointers).toContain("/labels");
    const wrong = sampleReport();
    wrong.labels.tenant = "other";
    wrong.labels.run_id = "00000000-0000-4000-8000-000000000000";
    expect(issues(wrong)).toEqual({ code: "VALIDATION_FAILED", pointers: ["/labels/tenant", "/labels/run_id"] });
  });

  test("schema - checklist items need a known id, a pass/fail/not_applicable status and evidence", () => {
    const report = sampleReport() as unknown as { checklist: Record<string, unknown>[] };
    (report.checklist[0] as Record<string, unknown>).status = "ok";
    delete (report.checklist[1] as Record<string, unknown>).evidence;
    (report.checklist[2] as Record<string, unknown>).id = "vibes";
    const found = issues(report, "EVIDENCE_INVALID");
    expect(found.code).toBe("EVIDENCE_INVALID");
    expect(found.pointers).toEqual(
      expect.arrayContaining(["/checklist/0/status", "/checklist/1/evidence", "/checklist/2/id"]),
    );
    const short = sampleReport();
    short.checklist = short.checklist.slice(0, 3);
    expect(issues(short).pointers).toContain("/checklist");
  });

  test("schema - unknown members, malformed digests and dry-run-only states are refused", () => {
    const report = sampleReport() as unknown as Record<string, Record<string, unknown>>;
    report.extra = {};
    (report.dataset as Record<string, unknown>).digest = "md5:abc";
    (report.run as Record<string, unknown>).state = "running";
    // An unknown member is reported at its parent (its name is input, never echoed): the root here.
    expect(issues(report).pointers).toEqual(expect.arrayContaining(["", "/dataset/digest", "/run/state"]));
  });

  test("schema - the published contract is the generated JSON Schema", () => {
    const published = JSON.parse(readFileSync(join(REPO_ROOT, "contracts/evidence-report.schema.json"), "utf8"));
    expect(published).toEqual(JSON.parse(JSON.stringify(evidenceReportJsonSchema())));
    expect(published.$id).toBe("https://semente.dev/schemas/evidence-report/v1.json");
    expect(published.required).toEqual(expect.arrayContaining(["labels", "checklist", "dataset", "cost"]));
  });
});
