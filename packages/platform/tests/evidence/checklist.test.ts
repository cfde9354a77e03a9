import { describe, expect, test } from "bun:test";
import { buildChecklist, type ChecklistInput, hasEvidence } from "../../src/evidence/checklist.ts";
import type { CheckItem } from "../../src/evidence/index.ts";
import { createRunProgress, planBatches } from "@semente/core/pipeline";
import { datasetDigest } from "@semente/core/determinism";
import type { Run } from "../../src/runs/index.ts";
import { devManifest, rlsRecord } from "./utils.ts";

const { manifest, hashHex } = devManifest();
const digestOf = (i: number) => i.toString(16).padStart(64, "0");

/** A completed run whose every evidence source is present: every item passes. */
function fullInput(): ChecklistInput {
  const plan = planBatches(manifest);
  const progress = createRunProgress(plan);
  const checkpoints = plan.batches.map((b, i) => ({
    entity: b.entity,
    batchIndex: b.batchIndex,
    fromOrdinal: b.from,
    toOrdinal: b.to,
    rowCount: b.to - b.from,
    digest: digestOf(i + 1),
    keyVersion: 1,
    durationMs: 100,
    rowsValidated: b.to - b.from,
  }));
  for (const c of checkpoints) progress.commit(c.entity, c.batchIndex, c.digest, c.rowCount);
  const digest = progress.datasetDigest();
  const run: Run = {
    id: "0b6f3c1e-8d2a-4f5b-9c7d-1e2f3a4b5c6d",
    environment: "dev",
    tenantId: "banco-alfa",
    mode: "baseline",
    operation: "seed",
    dryRun: false,
    state: "completed",
    manifestHash: hashHex,
    manifestVersion: manifest.metadata.version,
    manifest,
    referenceDatetime: new Date(manifest.reference_datetime),
    keyVersion: 1,
    principal: "svc-seed-runner",
    etagVersion: 3,
    reason: null,
    traceId: "ab".repeat(16),
    datasetDigest: digest.slice("sha256:".length),
    rowsPlanned: plan.totalRows,
    rowsWritten: plan.totalRows,
    createdAt: new Date("2026-01-10T10:00:00Z"),
    updatedAt: new Date("2026-01-10T10:00:05Z"),
    startedAt: new Date("2026-01-10T10:00:00Z"),
    finishedAt: new Date("2026-01-10T10:00:05Z"),
    queuedUntil: null,
    purgedAt: null,
    rowsDeleted: null,
  };
  return {
    run,
    manifest,
    checkpoints,
    batches: [],
    audit: [
      {
        action: "preflight.pass",
        outcome: "success",
        reason: null,
        details: {
          role: "semente_seeder",
          checks: [
            { check: "role", ok: true },
            { check: "rls", ok: true },
            { check: "migrations", ok: true },
          ],
          rls: rlsRecord(),
        },
      },
    ],
    durationS: 5,
    gateway429s: 0,
    dataset: { digest, recorded_digest: digest, checkpoints: checkpoints.length },
    trace: { trace_id: "ab".repeat(16), span_ids: ["cd".repeat(8)] },
  };
}

const item = (input: ChecklistInput, id: CheckItem["id"]): CheckItem =>
  buildChecklist(input).find((c) => c.id === id) as CheckItem;

describe("checklist - an item only passes on the evidence it carries", () => {
  test("with every source present every item passes, and each carries evidence", () => {
    const list = buildChecklist(fullInput());
    expect(list.map((c) => [c.id, c.status])).toEqual([
      ["pii", "pass"],
      ["rls", "pass"],
      ["contracts", "pass"],
      ["idempotency", "pass"],
      ["rate_limit", "pass"],
      ["slo", "pass"],
      ["dataset", "pass"],
      ["trace", "pass"],
    ]);
    expect(list.every(hasEvidence)).toBe(true);
    expect(item(fullInput(), "rls").evidence.tables_checked).toHaveLength(14);
  });

  const emptied: [CheckItem["id"], string, (i: ChecklistInput) => void][] = [
    [
      "pii",
      "checkpoint key versions differ from the run's",
      (i) => {
        i.checkpoints[0] = { ...i.checkpoints[0]!, keyVersion: 2 };
      },
    ],
    [
      "rls",
      "no preflight record",
      (i) => {
        i.audit = [];
      },
    ],
    [
      "rls",
      "a preflight record without its table checks",
      (i) => {
        (i.audit[0]!.details as Record<string, unknown>).rls = undefined;
      },
    ],
    [
      "rls",
      "a preflight record with empty checks",
      (i) => {
        (i.audit[0]!.details as Record<string, unknown>).checks = [];
      },
    ],
    [
      "rls",
      "one table without a policy",
      (i) => {
        const rls = (i.audit[0]!.details as { rls: { tables: { policies: string[] }[] } }).rls;
        rls.tables[3]!.policies = [];
      },
    ],
    [
      "contracts",
      "checkpoints without a validation count",
      (i) => {
        i.checkpoints = i.checkpoints.map((c) => ({ ...c, rowsValidated: null }));
      },
    ],
    [
      "contracts",
      "one batch only partly validated",
      (i) => {
        i.checkpoints[2] = { ...i.checkpoints[2]!, rowsValidated: 1 };
      },
    ],
    ["idempotency", "overlapping ranges", (i) => i.checkpoints.push({ ...i.checkpoints.at(-1)!, batchIndex: 99 })],
    [
      "rate_limit",
      "the gateway audit was not read",
      (i) => {
        i.gateway429s = null;
      },
    ],
    [
      "rate_limit",
      "no measured duration",
      (i) => {
        i.durationS = null;
      },
    ],
    [
      "slo",
      "no batch durations",
      (i) => {
        i.checkpoints = i.checkpoints.map((c) => ({ ...c, durationMs: null }));
      },
    ],
    [
      "slo",
      "throughput under min_rows_per_second",
      (i) => {
        i.durationS = 1_000_000;
      },
    ],
    [
      "dataset",
      "the recorded digest differs",
      (i) => {
        i.dataset = { ...i.dataset, recorded_digest: `sha256:${digestOf(7)}` };
      },
    ],
    [
      "dataset",
      "no recorded digest on a completed run",
      (i) => {
        i.dataset = { ...i.dataset, recorded_digest: null };
      },
    ],
  ];
  for (const [id, what, empty] of emptied) {
    test(`${id} fails when ${what}`, () => {
      const input = fullInput();
      empty(input);
      expect(item(input, id).status).toBe("fail");
    });
  }

  test("trace never passes without ids: it says 'not recorded'", () => {
    for (const trace of [
      { trace_id: null, span_ids: [] },
      { trace_id: "ab".repeat(16), span_ids: [] },
      { trace_id: null, span_ids: ["cd".repeat(8)] },
    ]) {
      const t = item({ ...fullInput(), trace }, "trace");
      expect(t.status).not.toBe("pass");
      expect(t.summary).toBe("not recorded");
    }
  });

  test("a cancelled run without a recorded digest: dataset is not applicable and names the committed batches", () => {
    const input = fullInput();
    input.run = { ...input.run, state: "cancelled" };
    input.dataset = { ...input.dataset, recorded_digest: null };
    const d = item(input, "dataset");
    expect(d.status).toBe("not_applicable");
    expect(d.summary).toContain("cancelled");
  });
});

/** A completed purge run: no checkpoint, the database closed its purge phase. */
function purgeInput(
  overrides: { state?: Run["state"]; closed?: boolean; recorded?: string | null } = {},
): ChecklistInput {
  const input = fullInput();
  const closed = overrides.closed ?? true;
  const empty = datasetDigest([]);
  const recorded = overrides.recorded === undefined ? empty : overrides.recorded;
  input.run = {
    ...input.run,
    operation: "purge",
    state: overrides.state ?? "completed",
    manifest: { kind: "purge-request/v1" },
    datasetDigest: recorded === null ? null : recorded.slice("sha256:".length),
    purgedAt: closed ? new Date("2026-01-10T10:00:04Z") : null,
    rowsDeleted: closed ? 1234 : null,
  };
  input.manifest = null;
  input.checkpoints = [];
  input.dataset = { digest: closed ? empty : null, recorded_digest: recorded, checkpoints: 0 };
  input.purge = {
    mode: "baseline",
    rows_deleted: 1234,
    deleted: [{ entity: "contracts", rows: 1234 }],
    completed_at: closed ? "2026-01-10T10:00:04.000Z" : null,
    digest_after: closed ? empty : null,
  };
  return input;
}

describe("checklist - purge and reseed runs neither pass nor fail what does not apply to them", () => {
  test("a completed purge: RLS and dataset pass on their evidence, every item about generated rows is not applicable", () => {
    const list = buildChecklist(purgeInput());
    expect(list.map((c) => [c.id, c.status])).toEqual([
      ["pii", "not_applicable"],
      ["rls", "pass"],
      ["contracts", "not_applicable"],
      ["idempotency", "not_applicable"],
      ["rate_limit", "not_applicable"],
      ["slo", "not_applicable"],
      ["dataset", "pass"],
      ["trace", "pass"],
    ]);
    const dataset = item(purgeInput(), "dataset");
    expect(dataset.evidence.rows_deleted).toBe(1234);
    expect(dataset.evidence.recorded_digest).toBe(datasetDigest([]));
    expect(item(purgeInput(), "slo").summary).toContain("purge");
  });

  test("a completed purge whose phase the database never closed, or whose digest is not of no data, fails", () => {
    expect(item(purgeInput({ closed: false }), "dataset").status).toBe("fail");
    expect(item(purgeInput({ recorded: `sha256:${"1".repeat(64)}` }), "dataset").status).toBe("fail");
  });

  test("a purge that failed is not applicable on its dataset (its data is not known to be empty)", () => {
    const failed = item(purgeInput({ state: "failed", closed: false, recorded: null }), "dataset");
    expect(failed.status).toBe("not_applicable");
    expect(failed.summary).toContain("1234 row(s) were deleted");
  });

  test("a reseed's dataset item passes only when its purge phase was closed too", () => {
    const reseed = (closed: boolean): ChecklistInput => {
      const input = fullInput();
      input.run = { ...input.run, operation: "reseed" };
      input.purge = {
        mode: "baseline",
        rows_deleted: 10,
        deleted: [],
        completed_at: closed ? "2026-01-10T10:00:01.000Z" : null,
        digest_after: closed ? datasetDigest([]) : null,
      };
      return input;
    };
    const ok = item(reseed(true), "dataset");
    expect(ok.status).toBe("pass");
    expect(ok.evidence.rows_deleted).toBe(10);
    expect(item(reseed(false), "dataset").status).toBe("fail");
    // everything else is judged as for a seed run
    expect(buildChecklist(reseed(true)).map((c) => c.status)).toEqual(buildChecklist(fullInput()).map((c) => c.status));
  });
});
