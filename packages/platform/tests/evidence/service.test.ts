import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { computeCost, type Entity, estimateCost, rowsCost } from "@semente/core/manifest";
import {
  createEvidenceService,
  createFsWormStore,
  evidenceKey,
  parseEnvelope,
  verifyEvidence,
} from "../../src/evidence/index.ts";
import { createTestDatabase } from "../harness.ts";
import { useEvidenceFixture } from "./service-fixture.ts";
import { devManifest, failure, insertEndedRun, quietLog } from "./utils.ts";

const fx = useEvidenceFixture("evidence_svc", "semente-evidence-svc-");
const { dir, keys, costModel, scope, service } = fx;

describe("evidence service", () => {
  test("produce - every window pause is in the signed report; the ledger reconciles with the measured cost", async () => {
    const { runId } = await insertEndedRun(fx.db.adminSql);
    const [times] = await fx.db.adminSql<{ started_at: Date; finished_at: Date }[]>`
      select started_at, finished_at from seed.runs where id = ${runId}`;
    if (times === undefined) throw new Error("run not inserted");
    const at = (s: number) => new Date(times.started_at.getTime() + s * 1000);
    // A closed pause of 2 s, and one still open when the run ended (2 s before finished_at).
    await fx.db.adminSql`
      insert into seed.run_pauses (run_id, reason, paused_at, resumed_at)
      values (${runId}, 'window', ${at(1)}, ${at(3)}), (${runId}, 'window', ${at(8)}, null)`;
    const { manifest } = devManifest();
    const compute = computeCost(costModel, 6_000);
    const batches = await fx.db.adminSql<{ entity: Entity; batch_index: number; row_count: string }[]>`
      select entity, batch_index, row_count::text from seed.batches where run_id = ${runId} order by entity, batch_index`;
    const ledgerRow = (kind: string, amount: number, details: Record<string, unknown>) => ({
      run_id: runId,
      environment: "dev",
      tenant_id: "banco-alfa",
      kind,
      amount,
      budget: manifest.budget.max_cost,
      currency: "USD",
      cost_model: `v${costModel.version}`,
      details: fx.db.adminSql.json(details as never),
    });
    const estimate = estimateCost(manifest, costModel).total;
    const measurements = batches.map((b, i) =>
      ledgerRow("measurement", rowsCost(manifest, costModel, b.entity, Number(b.row_count)) + (i === 0 ? compute : 0), {
        batch: `${b.entity}#${b.batch_index}`,
      }),
    );
    await fx.db.adminSql`insert into seed.budget_ledger ${fx.db.adminSql([
      ledgerRow("estimate", estimate, {}),
      ...measurements,
      ledgerRow("alert", 0.5, { ratio: 0.8 }),
    ])}`;

    const result = await service("pauses").produce(runId);
    if (result.status !== "stored") throw new Error("expected a stored report");
    const bytes = new Uint8Array(readFileSync(fileURLToPath(result.entry.location)));
    const { report } = await verifyEvidence({
      bytes,
      publicKey: await keys.publicKey(scope),
      index: result.entry,
      sql: fx.db.appSql,
    });
    expect(report.pauses).toEqual([
      { reason: "window", paused_at: at(1).toISOString(), resumed_at: at(3).toISOString(), duration_s: 2 },
      { reason: "window", paused_at: at(8).toISOString(), resumed_at: null, duration_s: null },
    ]);
    // 10 s from start to end, 4 s of it paused: compute charges the 6 s the run was running.
    expect(report.cost.breakdown?.compute).toBe(compute);
    expect(report.cost.ledger).toMatchObject({
      estimate,
      measurements: batches.length,
      alert: { amount: 0.5, ratio: 0.8 },
      abort: null,
    });
    expect(report.cost.estimated).toBe(estimate);
    const reconciliation = report.cost.reconciliation;
    expect(reconciliation?.paused_s).toBe(4);
    expect(reconciliation?.measured_minus_estimated).toBeCloseTo((report.cost.measured ?? 0) - estimate, 6);
    // The live ledger and the report measure the same batches and running time.
    expect(Math.abs(reconciliation?.measured_minus_ledger ?? 1)).toBeLessThan(1e-5);
  });

  test("produce - a completed run gets exactly one stored, verified, indexed report", async () => {
    const { runId, digest } = await insertEndedRun(fx.db.adminSql);
    const svc = service("one");
    const first = await svc.produce(runId);
    expect(first.status).toBe("stored");
    if (first.status !== "stored") return;
    expect(first.entry.storage).toBe("filesystem");
    expect(first.entry.signatureKeyId).toStartWith("local-dev:");
    expect(first.entry.verifiedAt).not.toBeNull();
    expect(first.entry.retainUntil.getTime() - first.entry.createdAt.getTime()).toBeGreaterThanOrEqual(
      365 * 86_400_000,
    );
    const again = await svc.produce(runId);
    expect(again).toEqual({ status: "existing", entry: first.entry });
    const rows = await fx.db
      .adminSql`select count(*)::int as n, max(dataset_digest) as d from seed.evidence_index where run_id = ${runId}`;
    expect(rows[0]).toEqual({ n: 1, d: digest });
    const bytes = new Uint8Array(readFileSync(fileURLToPath(first.entry.location)));
    const verified = await verifyEvidence({
      bytes,
      publicKey: await keys.publicKey(scope),
      index: first.entry,
      sql: fx.db.appSql,
    });
    expect(verified.report.run.id).toBe(runId);
    expect(verified.recomputedDigest).toBe(`sha256:${digest}`);
    const audit = await fx.db
      .adminSql`select count(*)::int as n from seed.audit_log where run_id = ${runId} and action = 'evidence.store'`;
    expect(audit[0]?.n).toBe(1);
    // The index is append-only, even for the owner.
    for (const sql of [fx.db.ownerSql, fx.db.appSql]) {
      await expect(sql`delete from seed.evidence_index where run_id = ${runId}`).rejects.toMatchObject({
        code: "42501",
      });
      await expect(sql`update seed.evidence_index set location = 'x' where run_id = ${runId}`).rejects.toMatchObject({
        code: "42501",
      });
    }
    const still = await fx.db.adminSql`select count(*)::int as n from seed.evidence_index where run_id = ${runId}`;
    expect(still[0]?.n).toBe(1);
  });

  test("verify - a copy with one byte changed, or a changed checkpoint, fails with a clear message", async () => {
    const { runId } = await insertEndedRun(fx.db.adminSql);
    const result = await service("two").produce(runId);
    if (result.status !== "stored") throw new Error("expected a stored report");
    const bytes = new Uint8Array(readFileSync(fileURLToPath(result.entry.location)));
    const publicKey = await keys.publicKey(scope);
    const envelope = parseEnvelope(bytes);
    const payload = Buffer.from(envelope.payload, "base64");
    payload[40] = (payload[40] as number) ^ 0x01;
    const tampered = new TextEncoder().encode(JSON.stringify({ ...envelope, payload: payload.toString("base64") }));
    const bad = await failure(verifyEvidence({ bytes: tampered, publicKey }));
    expect(bad).toEqual({
      code: "EVIDENCE_INVALID",
      message: expect.stringContaining("signature verification failed"),
    });
    const oneByte = new Uint8Array(bytes);
    oneByte[oneByte.length - 3] = (oneByte[oneByte.length - 3] as number) ^ 0x01;
    const hash = await failure(verifyEvidence({ bytes: oneByte, publicKey, index: result.entry }));
    expect(hash).toEqual({ code: "EVIDENCE_INVALID", message: expect.stringContaining("hash mismatch") });
    await fx.db
      .adminSql`update seed.checkpoints set digest = ${"f".repeat(64)} where run_id = ${runId} and entity = 'users'`;
    const drift = await failure(verifyEvidence({ bytes, publicKey, sql: fx.db.appSql }));
    expect(drift).toEqual({ code: "EVIDENCE_INVALID", message: expect.stringContaining("dataset digest mismatch") });
  });

  test("produce - a dry run stores nothing", async () => {
    const { runId } = await insertEndedRun(fx.db.adminSql, { dryRun: true });
    const svc = service("dry");
    expect(await svc.produce(runId)).toEqual({ status: "skipped", reason: "dry_run" });
    const rows = await fx.db.adminSql`select count(*)::int as n from seed.evidence_index where run_id = ${runId}`;
    expect(rows[0]?.n).toBe(0);
    const store = createFsWormStore({ dir: join(dir, "dry") });
    expect(await store.head(evidenceKey({ environment: "dev", tenantId: "banco-alfa", id: runId }))).toBeNull();
  });

  test("produce - a failed run gets evidence too; an object left by a crashed attempt is adopted, not rewritten", async () => {
    const { runId } = await insertEndedRun(fx.db.adminSql, { state: "failed" });
    const first = await service("crash").produce(runId);
    if (first.status !== "stored") throw new Error("expected a stored report");
    const object = readFileSync(fileURLToPath(first.entry.location));
    // Simulate the crash: the object is in WORM storage but the index row is gone (a fresh database).
    const other = await createTestDatabase("evidence_svc_crash");
    try {
      const copy = await fx.db.adminSql`select * from seed.runs where id = ${runId}`;
      const run = copy[0] as Record<string, unknown>;
      await other.adminSql`insert into seed.runs ${other.adminSql(run)}`;
      const again = await createEvidenceService({
        sql: other.appSql,
        store: createFsWormStore({ dir: join(dir, "crash") }),
        keys,
        log: quietLog(),
      }).produce(runId);
      expect(again.status).toBe("stored");
      if (again.status !== "stored") return;
      expect(again.entry.sha256).toBe(first.entry.sha256);
      expect(readFileSync(fileURLToPath(again.entry.location)).equals(object)).toBe(true);
    } finally {
      await other.drop();
    }
  }, 30_000);

  test("produce - a cancelled run gets a signed report: state, reason, partial counts, digest of what was committed", async () => {
    const { runId, checkpoints } = await insertEndedRun(fx.db.adminSql, {
      state: "cancelled",
      committed: 3,
      recordedDigest: null,
    });
    await fx.db
      .adminSql`update seed.runs set reason = ${fx.db.adminSql.json({ code: "INVALID_STATE", title: "Cancelled", status: 409, type: "https://semente.dev/problems/invalid-state" } as never)} where id = ${runId}`;
    const result = await service("cancelled").produce(runId);
    if (result.status !== "stored") throw new Error(`expected a stored report, got ${result.status}`);
    const verified = await verifyEvidence({
      bytes: new Uint8Array(readFileSync(fileURLToPath(result.entry.location))),
      publicKey: await keys.publicKey(scope),
      index: result.entry,
      sql: fx.db.appSql,
    });
    const report = verified.report;
    expect(report.run.state).toBe("cancelled");
    expect(report.run.reason_code).toBe("INVALID_STATE");
    expect(report.volumes.batches_committed).toBe(checkpoints);
    expect(report.volumes.rows_written).toBeGreaterThan(0);
    expect(report.volumes.rows_written).toBeLessThan(report.volumes.rows_planned ?? 0);
    expect(report.dataset.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(report.dataset.recorded_digest).toBeNull();
    expect(report.checklist.find((c) => c.id === "dataset")?.status).toBe("not_applicable");
    // A run cancelled in the queue (never started) is reported too, with nothing committed.
    const queued = await insertEndedRun(fx.db.adminSql, { state: "cancelled", committed: 0, recordedDigest: null });
    await fx.db.adminSql`update seed.runs set started_at = null where id = ${queued.runId}`;
    const early = await service("cancelled").produce(queued.runId);
    expect(early.status).toBe("stored");
  });

  test("produce - a report that would carry PII is refused before anything is written", async () => {
    const { runId } = await insertEndedRun(fx.db.adminSql);
    await fx.db.adminSql`update seed.runs set manifest_version = ${"contact ana@example.com"} where id = ${runId}`;
    const result = await failure(service("pii").produce(runId));
    expect(result.code).toBe("VALIDATION_FAILED");
    expect(result.message).toContain("email");
    const rows = await fx.db.adminSql`select count(*)::int as n from seed.evidence_index where run_id = ${runId}`;
    expect(rows[0]?.n).toBe(0);
  });
});
