import { describe, expect, test } from "bun:test";
import { parseManifest } from "../../src/manifest/index.ts";
import { issueAt, lineOf, parseError, readProfile, replaceOnce } from "./utils.ts";

const DEV = readProfile("configs/seed_profiles/dev/banco-alfa.yaml");
const STAGING = readProfile("configs/seed_profiles/staging/banco-alfa.yaml");
const DEV_WINDOW = 'window: { start_utc: "00:00", end_utc: "23:59" }';

describe("parseManifest - broken manifests fail closed with pointer, message and line", () => {
  test("missing section: reports the absent top-level field", () => {
    const text = replaceOnce(DEV, `${DEV_WINDOW}\n`, "");
    const error = parseError(text);
    expect(error.code).toBe("VALIDATION_FAILED");
    const issue = issueAt(error, "/window");
    expect(issue.message).toBe("missing required field 'window'");
    expect(issue.line).toBe(lineOf(text, "schema_version: 1"));
  });

  test("missing nested field: points at the parent key's line", () => {
    const text = replaceOnce(DEV, DEV_WINDOW, 'window: { start_utc: "00:00" }');
    const issue = issueAt(parseError(text), "/window/end_utc");
    expect(issue.message).toBe("missing required field 'end_utc'");
    expect(issue.line).toBe(lineOf(text, "window:"));
    expect(issue.column).toBe(1);
  });

  test("reference_datetime without Z is refused", () => {
    const text = replaceOnce(DEV, '"2025-01-01T00:00:00Z"', '"2025-01-01T00:00:00"');
    const error = parseError(text);
    expect(error.code).toBe("VALIDATION_FAILED");
    const issue = issueAt(error, "/reference_datetime");
    expect(issue.message).toContain("an ISO 8601 UTC date-time ending in Z");
    expect(issue.line).toBe(lineOf(text, "reference_datetime:"));
    expect(issue.column).toBe("reference_datetime: ".length + 1);
  });

  test("reference_datetime on an invalid day is refused", () => {
    const text = replaceOnce(DEV, '"2025-01-01T00:00:00Z"', '"2025-02-29T00:00:00Z"');
    const issue = issueAt(parseError(text), "/reference_datetime");
    expect(issue.message).toBe("is not a real calendar date-time");
    expect(issue.line).toBe(lineOf(text, "reference_datetime:"));
  });

  test("window hour 25:00 is refused", () => {
    const text = replaceOnce(DEV, DEV_WINDOW, 'window: { start_utc: "25:00", end_utc: "23:59" }');
    const issue = issueAt(parseError(text), "/window/start_utc");
    expect(issue.message).toBe("must be HH:MM in UTC, 00:00 to 23:59");
    const line = lineOf(text, "window:");
    expect(issue.line).toBe(line);
    expect(issue.column).toBe((text.split("\n")[line - 1] ?? "").indexOf('"25:00"') + 1);
  });

  test("window without a leading zero (7:00) is refused", () => {
    const text = replaceOnce(DEV, DEV_WINDOW, 'window: { start_utc: "22:00", end_utc: "7:00" }');
    const issue = issueAt(parseError(text), "/window/end_utc");
    expect(issue.message).toBe("must be HH:MM in UTC, 00:00 to 23:59");
    expect(issue.line).toBe(lineOf(text, "window:"));
  });

  test("window start equal to end is refused", () => {
    const text = replaceOnce(DEV, DEV_WINDOW, 'window: { start_utc: "02:00", end_utc: "02:00" }');
    const issue = issueAt(parseError(text), "/window/end_utc");
    expect(issue.message).toBe("end_utc must differ from start_utc");
    expect(issue.code).toBe("VALIDATION_FAILED");
  });

  test("count over the manifest cap is CAP_EXCEEDED", () => {
    const text = replaceOnce(
      DEV,
      "customers:              { count: 200, cap: 1000 }",
      "customers:              { count: 1200, cap: 1000 }",
    );
    const error = parseError(text);
    expect(error.code).toBe("CAP_EXCEEDED");
    const issue = issueAt(error, "/volumetry/customers/count");
    expect(issue.message).toBe("count exceeds the manifest's cap");
    expect(issue.line).toBe(lineOf(text, "customers:              { count"));
  });

  test("manifest cap over the Q11 cap is CAP_EXCEEDED", () => {
    const text = replaceOnce(
      DEV,
      "customers:              { count: 200, cap: 1000 }",
      "customers:              { count: 200, cap: 20000 }",
    );
    const error = parseError(text);
    expect(error.code).toBe("CAP_EXCEEDED");
    const issue = issueAt(error, "/volumetry/customers/cap");
    expect(issue.message).toBe("cap exceeds the Q11 cap 10000 for customers in dev/baseline");
    expect(issue.line).toBe(lineOf(text, "customers:              { count"));
  });

  test("derived installments over the Q11 cap is CAP_EXCEEDED on term_months", () => {
    const text = replaceOnce(
      DEV,
      "{ count: 100, cap: 500, term_months: 12 }",
      "{ count: 1000, cap: 1000, term_months: 420 }",
    );
    const issue = issueAt(parseError(text), "/volumetry/loans/term_months");
    expect(issue.code).toBe("CAP_EXCEEDED");
    expect(issue.message).toContain("derived installments (loans.count × term_months) exceed the Q11 cap");
  });

  test("unknown field is refused", () => {
    const text = replaceOnce(
      DEV,
      "  owner: squad-dados-sinteticos\n",
      "  owner: squad-dados-sinteticos\n  colour: blue\n",
    );
    // Reported at the parent (the field's name is input, never echoed), located at the field.
    const issue = issueAt(parseError(text), "/metadata");
    expect(issue.message).toBe("unknown field");
    expect(issue.line).toBe(lineOf(text, "colour: blue"));
  });

  test("wrong schema_version is UNSUPPORTED_MANIFEST_VERSION", () => {
    const text = replaceOnce(DEV, "schema_version: 1", "schema_version: 2");
    const error = parseError(text);
    expect(error.code).toBe("UNSUPPORTED_MANIFEST_VERSION");
    const issue = issueAt(error, "/schema_version");
    expect(issue.message).toBe("schema_version is not supported; this build implements 1");
    expect(issue.line).toBe(lineOf(text, "schema_version: 2"));
  });

  test("state percentages in baseline are refused", () => {
    const text = replaceOnce(
      DEV,
      "# Central rate limit",
      "state_distribution:\n  loans: { defaulted: 5 }\n\n# Central rate limit",
    );
    const issue = issueAt(parseError(text), "/state_distribution");
    expect(issue.message).toBe(
      "state_distribution is only allowed in load and dr modes; baseline writes happy states only",
    );
    expect(issue.line).toBe(lineOf(text, "state_distribution:"));
  });

  test("a single state percentage over 100 is refused", () => {
    const text = replaceOnce(STAGING, "customers: { blocked: 3, closed: 2 }", "customers: { blocked: 101, closed: 2 }");
    const issue = issueAt(parseError(text), "/state_distribution/customers/blocked");
    expect(issue.message).toBe("must be <= 100");
    expect(issue.line).toBe(lineOf(text, "blocked: 101"));
  });

  test("state percentages summing over 100 are refused", () => {
    const text = replaceOnce(
      STAGING,
      "loans: { defaulted: 5, cancelled: 2, paid: 20 }",
      "loans: { defaulted: 60, cancelled: 30, paid: 20 }",
    );
    const issue = issueAt(parseError(text), "/state_distribution/loans");
    expect(issue.message).toBe("state percentages of loans sum to more than 100");
    expect(issue.line).toBe(lineOf(text, "loans: { defaulted: 60"));
  });

  test("an unknown state is refused", () => {
    const text = replaceOnce(STAGING, "customers: { blocked: 3, closed: 2 }", "customers: { blocked: 3, frozen: 2 }");
    expect(issueAt(parseError(text), "/state_distribution/customers").message).toBe("unknown field");
  });

  test("a flag set to false is FLAG_OFF", () => {
    const text = replaceOnce(DEV, "  customers: true\n", "  customers: false\n");
    const error = parseError(text);
    expect(error.code).toBe("FLAG_OFF");
    const issue = issueAt(error, "/flags/customers");
    expect(issue.message).toBe("flag for 'customers' is off but rows are planned");
    expect(issue.line).toBe(lineOf(text, "customers: false"));
  });

  test("a missing flag is FLAG_OFF (fail-closed), also for derived installments", () => {
    const text = replaceOnce(DEV, "  installments: true\n", "");
    const error = parseError(text);
    expect(error.code).toBe("FLAG_OFF");
    const issue = issueAt(error, "/flags/installments");
    expect(issue.message).toBe("flag for 'installments' is missing but rows are planned (flags fail closed)");
    expect(issue.line).toBe(lineOf(text, "flags:\n  tenants"));
  });

  test("a canary section is an unknown field, refused (it would do nothing at run time)", () => {
    const text = `${DEV}canary: { enabled: true, tenants: [banco-alfa] }\n`;
    const issue = issueAt(parseError(text), "");
    expect(issue.message).toBe("unknown field");
    expect(issue.line).toBe(lineOf(text, "canary:"));
  });

  test("load mode in dev is MODE_NOT_ALLOWED", () => {
    const text = replaceOnce(DEV, "mode: baseline", "mode: load");
    const error = parseError(text);
    expect(error.code).toBe("MODE_NOT_ALLOWED");
    const issue = issueAt(error, "/mode");
    expect(issue.message).toContain("mode 'load' is not allowed in environment 'dev' (allowed: baseline");
    expect(issue.line).toBe(lineOf(text, "mode: load"));
    expect(issue.column).toBe(7);
  });

  test("dr mode in prod is MODE_NOT_ALLOWED", () => {
    const text = replaceOnce(readProfile("configs/seed_profiles/prod/banco-alfa.yaml"), "mode: baseline", "mode: dr");
    expect(parseError(text).code).toBe("MODE_NOT_ALLOWED");
  });

  test("rate limit target over cap is refused", () => {
    const text = replaceOnce(DEV, "target_rows_per_second: 5000", "target_rows_per_second: 20000");
    const issue = issueAt(parseError(text), "/rate_limit/target_rows_per_second");
    expect(issue.message).toBe("target_rows_per_second exceeds cap_rows_per_second");
    expect(issue.line).toBe(lineOf(text, "target_rows_per_second: 20000"));
  });

  test("children without parents are refused (loans need bank accounts)", () => {
    let text = replaceOnce(
      DEV,
      "bank_accounts:          { count: 250, cap: 1250 }",
      "bank_accounts:          { count: 0, cap: 1250 }",
    );
    text = replaceOnce(
      text,
      "financial_transactions: { count: 1000, cap: 5000 }",
      "financial_transactions: { count: 0, cap: 5000 }",
    );
    const issue = issueAt(parseError(text), "/volumetry/loans/count");
    expect(issue.message).toBe("loans need at least one row of bank_accounts (count is 0)");
  });

  test("more than three addresses per customer are refused", () => {
    const text = replaceOnce(
      DEV,
      "addresses:              { count: 300, cap: 1500 }",
      "addresses:              { count: 601, cap: 1500 }",
    );
    const issue = issueAt(parseError(text), "/volumetry/addresses/count");
    expect(issue.message).toBe("addresses exceed 3 per customers row");
  });

  test("ttl over 30 days is refused", () => {
    const text = replaceOnce(DEV, 'baseline: "P30D"', 'baseline: "P31D"');
    expect(issueAt(parseError(text), "/ttl/baseline").message).toBe("ttl must be more than 0 and at most 30 days");
  });

  test("lists every issue at once, thrown with the most specific policy code", () => {
    let text = replaceOnce(DEV, "mode: baseline", "mode: dr");
    text = replaceOnce(text, DEV_WINDOW, 'window: { start_utc: "02:00", end_utc: "02:00" }');
    text = replaceOnce(text, "  users: true\n", "  users: false\n");
    const error = parseError(text);
    expect(error.code).toBe("MODE_NOT_ALLOWED");
    expect((error.errors ?? []).map((i) => i.pointer).sort()).toEqual(["/flags/users", "/mode", "/window/end_utc"]);
    expect(error.message).toContain("3 issues");
  });

  test("malformed YAML is MALFORMED_INPUT with line and column", () => {
    const text = replaceOnce(DEV, "  owner: squad-dados-sinteticos\n", "  owner: [unclosed\n");
    const error = parseError(text);
    expect(error.code).toBe("MALFORMED_INPUT");
    const first = error.errors?.[0];
    expect(first?.line).toBeGreaterThanOrEqual(lineOf(text, "owner: [unclosed"));
    expect(first?.column).toBeGreaterThanOrEqual(1);
    expect(first?.message.length).toBeGreaterThan(0);
  });

  test("duplicate keys are MALFORMED_INPUT at the duplicate", () => {
    const text = replaceOnce(DEV, "mode: baseline\n", "mode: baseline\nmode: baseline\n");
    const error = parseError(text);
    expect(error.code).toBe("MALFORMED_INPUT");
    expect(error.errors?.[0]?.message).toBe("Map keys must be unique");
    expect(error.errors?.[0]?.line).toBe(lineOf(text, "mode: baseline") + 1);
  });

  test("JSON content must be strict JSON", () => {
    const json = `${JSON.stringify(parseManifest(DEV).manifest, null, 2).slice(0, -2)},\n}`;
    expect(parseError(json, { contentType: "application/json" }).code).toBe("MALFORMED_INPUT");
  });

  test("a canonical path must agree with metadata", () => {
    const error = parseError(DEV, { filename: "configs/seed_profiles/dev/banco-beta.yaml" });
    expect(issueAt(error, "/metadata/tenant").message).toBe("tenant must match the file name 'banco-beta'");
  });

  test("an empty document is refused", () => {
    expect(parseError("").errors?.[0]?.message).toBe("must be a mapping (object)");
  });
});

describe("parseManifest - accepted input", () => {
  test("returns the manifest as written, its hash and source", () => {
    const { manifest, hash, source } = parseManifest(DEV, { filename: "configs/seed_profiles/dev/banco-alfa.yaml" });
    expect(manifest.metadata.tenant).toBe("banco-alfa");
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(source).toEqual({ format: "yaml", filename: "configs/seed_profiles/dev/banco-alfa.yaml" });
  });

  test("accepts strict JSON by content type", () => {
    const yaml = parseManifest(DEV);
    const json = parseManifest(JSON.stringify(yaml.manifest), { contentType: "application/json; charset=utf-8" });
    expect(json.source.format).toBe("json");
    expect(json.hash).toBe(yaml.hash);
  });
});
