import { describe, expect, test } from "bun:test";
import { earliestLoanContractDay, maxLoanAgeMonths } from "../../src/factories/loan-timeline.ts";
import { IOF_CREDIT_RATES, toEpochDay, toIsoDate } from "../../src/finance/index.ts";
import { type Manifest, parseManifest, validateManifest } from "../../src/manifest/index.ts";
import { issueAt, parseError, readProfile, replaceOnce } from "./utils.ts";

const DEV = readProfile("configs/seed_profiles/dev/banco-alfa.yaml");
const STAGING = readProfile("configs/seed_profiles/staging/banco-alfa.yaml");
const TABLE_START = toEpochDay(IOF_CREDIT_RATES[0]!.from);

function at(text: string, reference: string): string {
  return replaceOnce(
    text,
    'reference_datetime: "2025-01-01T00:00:00Z"',
    `reference_datetime: "${reference}T00:00:00Z"`,
  );
}

const DEV_MANIFEST = parseManifest(DEV).manifest;

function manifestOf(reference: string, patch: (m: Manifest) => void = () => {}): Manifest {
  const manifest = structuredClone(DEV_MANIFEST);
  manifest.reference_datetime = `${reference}T00:00:00Z`;
  patch(manifest);
  return manifest;
}

/** The first reference day from `from` on whose earliest loan contract is inside the IOF table. */
function firstAccepted(from: string, patch: (m: Manifest) => void): number {
  let day = toEpochDay(from);
  while (earliestLoanContractDay(manifestOf(toIsoDate(day), patch))! < TABLE_START) day += 1;
  return day;
}

describe("manifest - loans contracted before the IOF rate table", () => {
  test("a dev profile dated 2021-06-01 is refused at /reference_datetime (VALIDATION_FAILED)", () => {
    const error = parseError(at(DEV, "2021-06-01"));
    expect(error.code).toBe("VALIDATION_FAILED");
    const issue = issueAt(error, "/reference_datetime");
    // Term 12, all loans active: at most 11 installments due (2020-07-01), then up to 27 days earlier.
    expect(issue.message).toContain("as early as 2020-06-04");
    expect(issue.message).toContain("11 months and up to 27 days");
    expect(issue.message).toContain("before the IOF rate table starts on 2021-01-01");
  });

  test("the boundary is the earliest contract date: the day before the first accepted reference is refused", () => {
    for (const patch of [
      () => {},
      (m: Manifest) => {
        m.volumetry.loans.term_months = 1;
      },
      (m: Manifest) => {
        m.volumetry.loans.term_months = 420;
      },
    ]) {
      const first = firstAccepted("2021-01-25", patch);
      const accepted = manifestOf(toIsoDate(first), patch);
      const refused = manifestOf(toIsoDate(first - 1), patch);
      expect(validateManifest(accepted)).toEqual([]);
      expect(validateManifest(refused).map((i) => i.pointer)).toEqual(["/reference_datetime"]);
    }
  });

  test("a term of 420 in baseline reaches back 23 months; defaulted loans reach back the whole term", () => {
    const baseline = manifestOf("2025-01-01", (m) => {
      m.volumetry.loans.term_months = 420;
    });
    expect(maxLoanAgeMonths(baseline)).toBe(23);
    expect(validateManifest(baseline)).toEqual([]);
    const load = parseManifest(STAGING).manifest;
    expect(maxLoanAgeMonths(load)).toBe(12);
    const long = structuredClone(load);
    long.volumetry.loans.term_months = 36;
    expect(maxLoanAgeMonths(long)).toBe(36);
    // 2025-01-01 − 36 months − 27 days falls in 2021-12: accepted. With 60 months it is 2019: refused.
    expect(validateManifest(long).filter((i) => i.pointer === "/reference_datetime")).toEqual([]);
    long.volumetry.loans.term_months = 60;
    expect(validateManifest(long).filter((i) => i.pointer === "/reference_datetime")).toHaveLength(1);
  });

  test("states decide the bound: paid, cancelled with installments, overdue installments", () => {
    const load = structuredClone(parseManifest(STAGING).manifest);
    load.volumetry.loans.term_months = 60;
    load.state_distribution = { loans: { paid: 20 } };
    expect(maxLoanAgeMonths(load)).toBe(23);
    load.state_distribution = { loans: { cancelled: 2 } };
    expect(maxLoanAgeMonths(load)).toBe(23);
    load.state_distribution = { loans: { cancelled: 2 }, installments: { cancelled: 1 } };
    expect(maxLoanAgeMonths(load)).toBe(59);
    load.state_distribution = { installments: { overdue: 1 } };
    expect(maxLoanAgeMonths(load)).toBe(60);
    // A percentage that rounds to no loan at all does not widen the bound.
    load.volumetry.loans.count = 10;
    load.state_distribution = { loans: { defaulted: 1 } };
    expect(maxLoanAgeMonths(load)).toBe(23);
  });

  test("a manifest without loans has no contract date to check", () => {
    const none = manifestOf("2021-01-02", (m) => {
      m.volumetry.loans.count = 0;
      m.flags.loans = false;
      m.flags.installments = false;
    });
    expect(earliestLoanContractDay(none)).toBeUndefined();
    expect(validateManifest(none).filter((i) => i.pointer === "/reference_datetime")).toEqual([]);
  });
});
