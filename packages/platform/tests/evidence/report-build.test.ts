import { describe, expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { assertEvidenceReport, buildReport, type EvidenceReport, verifyEvidence } from "../../src/evidence/index.ts";
import { useEvidenceFixture } from "./service-fixture.ts";
import { failure, insertEndedRun } from "./utils.ts";

const fx = useEvidenceFixture("evidence_build", "semente-evidence-build-");
const { keys, costModel, scope, service } = fx;

describe("evidence report build", () => {
  test("build - the report of a completed run has counts, digests, cost and a checklist, and matches the schema", async () => {
    const { runId, digest, checkpoints } = await insertEndedRun(fx.db.adminSql);
    const report: EvidenceReport = await buildReport({ sql: fx.db.appSql, runId, costModel });
    assertEvidenceReport(report);
    expect(report.labels).toEqual({ tenant: "banco-alfa", environment: "dev", run_id: runId });
    expect(report.dataset).toEqual({
      digest: `sha256:${digest}`,
      recorded_digest: `sha256:${digest}`,
      matches_recorded: true,
      checkpoints,
    });
    expect(report.entities.find((e) => e.entity === "installments")).toEqual({
      entity: "installments",
      rows_planned: 1200,
      rows_written: 1200,
      batches: 2,
    });
    expect(report.volumes.rows_written).toBe(report.volumes.rows_planned ?? -1);
    expect(report.volumes.batches_planned).toBe(checkpoints);
    expect(report.batches[0]).toMatchObject({ entity: "tenants", batch_index: 0, state: "committed", attempts: 1 });
    expect(report.cost.estimated).toBeGreaterThan(0);
    expect(report.cost.measured).toBeGreaterThan(0);
    expect(report.cost.currency).toBe("USD");
    expect(report.pauses).toEqual([]);
    expect(report.cost.ledger).toBeNull();
    expect(report.cost.reconciliation).toEqual({
      measured_minus_estimated: Math.round(((report.cost.measured ?? 0) - (report.cost.estimated ?? 0)) * 1e6) / 1e6,
      measured_minus_ledger: null,
      paused_s: 0,
    });
    expect(report.trace).toEqual({ trace_id: "ab".repeat(16), span_ids: ["cd".repeat(8)] });
    expect(report.checklist.map((c) => [c.id, c.status])).toEqual([
      ["pii", "pass"],
      ["rls", "pass"],
      ["contracts", "pass"],
      ["idempotency", "pass"],
      ["rate_limit", "pass"],
      ["slo", "pass"],
      ["dataset", "pass"],
      ["trace", "pass"],
    ]);
    expect(report.checklist.find((c) => c.id === "slo")?.evidence).toMatchObject({
      p95_batch_ms: 120,
      p99_batch_ms: 120,
    });
  });

  test("build - without durations the SLO fails; without a preflight record RLS fails", async () => {
    const { runId } = await insertEndedRun(fx.db.adminSql, { durationMs: null, preflight: false });
    const report = await buildReport({ sql: fx.db.appSql, runId });
    const byId = Object.fromEntries(report.checklist.map((c) => [c.id, c]));
    expect(byId.slo?.status).toBe("fail");
    expect(byId.slo?.summary).toContain("without a duration");
    expect(byId.rls?.status).toBe("fail");
    expect(report.cost.estimated).toBeNull();
    expect(report.cost.note).toBe("no cost model configured");
  });

  test("build - a principal that looks like PII is pseudonymized; a running run is INVALID_STATE", async () => {
    const { runId } = await insertEndedRun(fx.db.adminSql, { principal: "ana.souza@example.com" });
    const report = await buildReport({ sql: fx.db.appSql, runId });
    expect(report.run.principal).toMatch(/^sha256:[0-9a-f]{64}$/);
    await fx.db.adminSql`update seed.runs set state = 'running', finished_at = null where id = ${runId}`;
    expect((await failure(buildReport({ sql: fx.db.appSql, runId }))).code).toBe("INVALID_STATE");
    expect((await failure(buildReport({ sql: fx.db.appSql, runId: crypto.randomUUID() }))).code).toBe("NOT_FOUND");
  });

  test("build - a run whose recorded digest differs from its checkpoints fails the dataset item, and evidence verify refuses it", async () => {
    const { runId } = await insertEndedRun(fx.db.adminSql, { recordedDigest: "ff".repeat(32) });
    const report = await buildReport({ sql: fx.db.appSql, runId });
    expect(report.dataset.matches_recorded).toBe(false);
    expect(report.checklist.find((c) => c.id === "dataset")?.status).toBe("fail");
    const result = await service("mismatch").produce(runId);
    if (result.status !== "stored") throw new Error("expected a stored report");
    const outcome = await failure(
      verifyEvidence({
        bytes: new Uint8Array(readFileSync(fileURLToPath(result.entry.location))),
        publicKey: await keys.publicKey(scope),
        index: result.entry,
        sql: fx.db.appSql,
      }),
    );
    expect(outcome.code).toBe("EVIDENCE_INVALID");
    expect(outcome.message).toContain("the run recorded");
  });

  test("build - rate_limit counts the gateway's audited 429s of the run's principal and tenant during the run only", async () => {
    const { runId } = await insertEndedRun(fx.db.adminSql);
    const refuse = (actor: string, tenant: string, at: string) => fx.db.adminSql`
      insert into seed.audit_log (at, actor, action, outcome, tenant_id, environment, reason, details)
      values (${at}::timestamptz, ${actor}, 'http.refuse', 'refused', ${tenant}, 'dev', 'RATE_LIMITED',
        ${fx.db.adminSql.json({ route: "/api/v1/seed-runs", status: 429 } as never)})`;
    const [run] = await fx.db.adminSql<{ mid: string }[]>`
      select (created_at + (coalesce(finished_at, now()) - created_at) / 2)::text as mid from seed.runs where id = ${runId}`;
    const mid = run?.mid as string;
    await refuse("svc-seed-runner", "banco-alfa", mid);
    await refuse("svc-seed-runner", "banco-alfa", mid);
    await refuse("someone-else", "banco-alfa", mid);
    await refuse("svc-seed-runner", "banco-beta", mid);
    await refuse("svc-seed-runner", "banco-alfa", "2001-01-01T00:00:00Z");
    const report = await buildReport({ sql: fx.db.appSql, runId });
    const item = report.checklist.find((c) => c.id === "rate_limit");
    expect(item?.evidence.gateway_429s).toBe(2);
    expect(item?.status).toBe("pass");
  });
});
