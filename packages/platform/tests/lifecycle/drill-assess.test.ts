import { describe, expect, test } from "bun:test";
import { type AcknowledgedBatch, assessDrill, type DrillFacts, drillTargets } from "../../src/lifecycle/index.ts";

const LOSS = new Date("2026-01-10T12:00:00.000Z");
const at = (msBeforeLoss: number) => new Date(LOSS.getTime() - msBeforeLoss);
const batch = (entity: string, batchIndex: number, digest: string, ageMs = 60_000): AcknowledgedBatch => ({
  entity,
  batchIndex,
  digest,
  rows: 10,
  committedAt: at(ageMs),
});

function facts(overrides: Partial<DrillFacts> = {}): DrillFacts {
  return {
    runId: crypto.randomUUID(),
    tenantId: "banco-beta",
    environment: "staging",
    mode: "dr",
    lossAt: LOSS,
    acknowledged: [batch("users", 0, "a".repeat(64)), batch("customers", 0, "b".repeat(64), 3_600_000)],
    rowsAtLoss: 20,
    unexplainedRows: 0,
    targets: { rtoSeconds: 3600, rpoSeconds: 300 },
    purgedAt: new Date(LOSS.getTime() + 1_000),
    rowsPurged: 20,
    regeneratedAt: new Date(LOSS.getTime() + 5_000),
    verifiedAt: new Date(LOSS.getTime() + 7_250),
    verification: {
      ok: true,
      role: "semente_verifier",
      rowsCompared: 20,
      differences: 0,
      checkpointMismatches: 0,
      first: [],
    },
    ...overrides,
  };
}

const restoredAll = [
  { entity: "users", batchIndex: 0, digest: "a".repeat(64) },
  { entity: "customers", batchIndex: 0, digest: `sha256:${"b".repeat(64)}` },
];

describe("DR drill assessment", () => {
  test("drill - every acknowledged batch regenerated identically and verified: RPO 0 s, RTO = verified - loss", () => {
    const a = assessDrill(facts(), restoredAll);
    expect(a.rtoSeconds).toBe(7.25);
    expect(a.rpoSeconds).toBe(0);
    expect(a.passed).toBe(true);
    expect(a.batchesRestored).toBe(2);
    expect(a.acknowledgedDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a.rpoBasis).toContain("every one of the 2 acknowledged batch(es)");
  });

  test("drill - an acknowledged batch regenerated differently bounds the RPO by its age, over target fails", () => {
    const a = assessDrill(facts(), [
      restoredAll[0] as never,
      { entity: "customers", batchIndex: 0, digest: "c".repeat(64) },
    ]);
    expect(a.rpoSeconds).toBe(3600);
    expect(a.batchesNotRestored).toBe(1);
    expect(a.passed).toBe(false);
    expect(a.problems.join()).toContain("RPO 3600 s over the target of 300 s");
  });

  test("drill - rows no checkpoint explains make the RPO unbounded and fail the drill", () => {
    const a = assessDrill(facts({ unexplainedRows: 3 }), restoredAll);
    expect(a.rpoSeconds).toBeNull();
    expect(a.rtoSeconds).toBe(7.25);
    expect(a.passed).toBe(false);
    expect(a.rpoBasis).toContain("3 row(s) held at the loss were explained by no checkpoint");
  });

  test("drill - failed or missing verification: no RTO, no RPO, fails", () => {
    const failed = assessDrill(
      facts({
        verification: {
          ok: false,
          role: "semente_verifier",
          rowsCompared: 20,
          differences: 1,
          checkpointMismatches: 0,
          first: [],
        },
      }),
      restoredAll,
    );
    expect([failed.rtoSeconds, failed.rpoSeconds, failed.passed]).toEqual([null, null, false]);
    expect(failed.problems[0]).toContain("verification failed: 1 row difference(s)");
    const missing = assessDrill(facts({ verification: null, verifiedAt: null }), restoredAll);
    expect(missing.passed).toBe(false);
    expect(missing.problems).toContain("the regenerated rows were not verified");
  });

  test("drill - RTO over the target fails; an empty tenant at the loss has nothing to lose", () => {
    const slow = assessDrill(facts({ targets: { rtoSeconds: 5, rpoSeconds: 0 } }), restoredAll);
    expect(slow.passed).toBe(false);
    expect(slow.problems).toEqual(["RTO 7.25 s over the target of 5 s"]);
    const empty = assessDrill(facts({ acknowledged: [], rowsAtLoss: 0 }), restoredAll);
    expect(empty.rpoSeconds).toBe(0);
    expect(empty.acknowledgedDigest).toBeNull();
    expect(empty.rpoBasis).toContain("held no acknowledged batch");
  });

  test("drill - targets: the manifest may tighten the spec's, never loosen them", () => {
    expect(drillTargets({})).toEqual({ rtoSeconds: 3600, rpoSeconds: 300 });
    expect(drillTargets({ dr_targets: { rto_seconds: 300 } })).toEqual({ rtoSeconds: 300, rpoSeconds: 300 });
    expect(drillTargets({ dr_targets: { rto_seconds: 99_999, rpo_seconds: 0 } })).toEqual({
      rtoSeconds: 3600,
      rpoSeconds: 0,
    });
  });
});
