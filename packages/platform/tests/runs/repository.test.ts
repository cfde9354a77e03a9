import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isSementeError, SementeError, toProblem } from "@semente/core/errors";
import {
  createRun,
  getRun,
  listRuns,
  requireRun,
  runEtag,
  toRunResource,
  transitionRun,
} from "../../src/runs/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { insertRun, newRun } from "./run-fixture.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("runs_repository");
});

afterAll(async () => {
  await db.drop();
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<SementeError> {
  try {
    await promise;
  } catch (error) {
    expect(isSementeError(error)).toBe(true);
    expect((error as SementeError).code).toBe(code as SementeError["code"]);
    return error as SementeError;
  }
  throw new Error(`expected ${code}`);
}

describe("runs repository", () => {
  test("runs - createRun stores a queued run and audits it", async () => {
    const run = await insertRun(db.appSql, { tenantId: "create-co", rowsPlanned: 10 });
    expect(run.state).toBe("queued");
    expect(run.etagVersion).toBe(1);
    expect(run.rowsPlanned).toBe(10);
    expect(run.rowsWritten).toBe(0);
    expect(run.referenceDatetime.toISOString()).toBe("2025-01-01T00:00:00.000Z");
    expect(run.manifest).toEqual({ metadata: { environment: "staging", tenant: "create-co" } });
    const [kind] = await db.adminSql`SELECT jsonb_typeof(manifest) AS t FROM seed.runs WHERE id = ${run.id}`;
    expect(kind?.t).toBe("object");
    const again = await getRun(db.appSql, run.id);
    expect(again).toEqual(run);
    const audit = await db.adminSql`SELECT actor, action, outcome FROM seed.audit_log WHERE run_id = ${run.id}`;
    expect(audit.map((a) => ({ ...a }))).toEqual([{ actor: "tester", action: "run.create", outcome: "success" }]);
  });

  test("runs - getRun is null and requireRun NOT_FOUND for an unknown id", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    expect(await getRun(db.appSql, id)).toBeNull();
    await expectCode(requireRun(db.appSql, id), "NOT_FOUND");
  });

  test("runs - transitionRun bumps the version, sets timestamps and audits in the same transaction", async () => {
    const run = await insertRun(db.appSql, { tenantId: "trans-co" });
    const admitted = await transitionRun(db.appSql, run.id, {
      to: "admitted",
      expectedVersion: 1,
      patch: { queuedUntil: null },
      actor: "gateway",
    });
    expect(admitted.state).toBe("admitted");
    expect(admitted.etagVersion).toBe(2);
    expect(admitted.startedAt).not.toBeNull();
    expect(admitted.queuedUntil).toBeNull();
    expect(admitted.updatedAt.getTime()).toBeGreaterThanOrEqual(run.updatedAt.getTime());
    expect(runEtag(admitted)).toBe(`"${run.id}-2"`);
    expect(runEtag(admitted)).not.toBe(runEtag(run));

    await transitionRun(db.appSql, run.id, { to: "planning" });
    await transitionRun(db.appSql, run.id, { to: "running", patch: { rowsPlanned: 100, rowsWritten: 40 } });
    const completed = await transitionRun(db.appSql, run.id, {
      to: "completed",
      patch: { rowsWritten: 100, datasetDigest: "a".repeat(64) },
    });
    expect(completed.finishedAt).not.toBeNull();
    expect(completed.rowsPlanned).toBe(100);
    expect(completed.rowsWritten).toBe(100);
    expect(completed.etagVersion).toBe(5);
    const actions = await db.adminSql<{ action: string; actor: string }[]>`
      SELECT action, actor FROM seed.audit_log WHERE run_id = ${run.id} ORDER BY id`;
    expect(actions.map((a) => a.action)).toEqual([
      "run.create",
      "run.admitted",
      "run.planning",
      "run.running",
      "run.completed",
    ]);
    expect(actions[1]?.actor).toBe("gateway");
  });

  test("runs - a stale expectedVersion is PRECONDITION_FAILED and changes nothing", async () => {
    const run = await insertRun(db.appSql, { tenantId: "stale-co" });
    await transitionRun(db.appSql, run.id, { to: "admitted" });
    await expectCode(transitionRun(db.appSql, run.id, { to: "cancelled", expectedVersion: 1 }), "PRECONDITION_FAILED");
    const current = await requireRun(db.appSql, run.id);
    expect(current.state).toBe("admitted");
    expect(current.etagVersion).toBe(2);
  });

  test("runs - an illegal transition is INVALID_STATE and writes no audit row", async () => {
    const run = await insertRun(db.appSql, { tenantId: "illegal-co" });
    await expectCode(transitionRun(db.appSql, run.id, { to: "completed" }), "INVALID_STATE");
    const rows = await db.adminSql`SELECT 1 FROM seed.audit_log WHERE run_id = ${run.id} AND action = 'run.completed'`;
    expect(rows.length).toBe(0);
    await expectCode(transitionRun(db.appSql, "00000000-0000-4000-8000-000000000001", { to: "admitted" }), "NOT_FOUND");
  });

  test("runs - a reason problem is stored, audited by code and rendered in the resource", async () => {
    const run = await insertRun(db.appSql, { tenantId: "reason-co", dryRun: true });
    const problem = toProblem(new SementeError("QUEUE_EXPIRED", "waited too long"), `/api/v1/seed-runs/${run.id}`);
    const expired = await transitionRun(db.appSql, run.id, { to: "expired", reason: problem });
    expect(expired.reason).toEqual(problem);
    const [kind] = await db.adminSql`SELECT jsonb_typeof(reason) AS t FROM seed.runs WHERE id = ${run.id}`;
    expect(kind?.t).toBe("object");
    const audit = await db.adminSql<{ reason: string; outcome: string }[]>`
      SELECT reason, outcome FROM seed.audit_log WHERE run_id = ${run.id} AND action = 'run.expired'`;
    expect(audit[0]).toEqual({ reason: "QUEUE_EXPIRED", outcome: "failure" });
    const resource = toRunResource(expired);
    expect(resource).toEqual({
      id: run.id,
      environment: "staging",
      tenant: "reason-co",
      mode: "baseline",
      operation: "seed",
      dry_run: true,
      state: "expired",
      manifest_hash: `sha256:${run.manifestHash}`,
      created_at: run.createdAt.toISOString(),
      updated_at: expired.updatedAt.toISOString(),
      queued_until: "2100-01-01T00:00:00.000Z",
      progress: { rows_planned: null, rows_written: 0 },
      dataset_digest: null,
      reason: problem,
    });
    expect(JSON.parse(JSON.stringify(resource))).toEqual(resource);
  });

  test("runs - transitionRun joins the caller's transaction", async () => {
    const run = await insertRun(db.appSql, { tenantId: "tx-co" });
    await expect(
      db.appSql.begin(async (tx) => {
        await transitionRun(tx, run.id, { to: "admitted" });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect((await requireRun(db.appSql, run.id)).state).toBe("queued");
  });

  test("runs - listRuns filters and pages with an opaque keyset cursor, newest first", async () => {
    const ids: string[] = [];
    // Inserted in one transaction: the same created_at for all, so the id tiebreak is exercised.
    await db.appSql.begin(async (tx) => {
      for (let i = 0; i < 7; i++) {
        ids.push((await createRun(tx, newRun({ tenantId: "page-co", environment: "perf" }))).id);
      }
    });
    await insertRun(db.appSql, { tenantId: "page-co", environment: "dev" });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listRuns(db.appSql, { tenant: "page-co", environment: "perf", limit: 3, cursor });
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen.length).toBe(7);
    expect(new Set(seen)).toEqual(new Set(ids));

    const all = await listRuns(db.appSql, { tenant: "page-co", limit: 500 });
    expect(all.runs.length).toBe(8);
    expect(all.nextCursor).toBeNull();
    for (let i = 1; i < all.runs.length; i++) {
      expect(all.runs[i - 1]!.createdAt.getTime()).toBeGreaterThanOrEqual(all.runs[i]!.createdAt.getTime());
    }
    const admittedOnly = await listRuns(db.appSql, { tenant: "page-co", state: "admitted", limit: 10 });
    expect(admittedOnly.runs).toEqual([]);
  });

  test("runs - listRuns rejects a forged cursor and a bad limit", async () => {
    await expectCode(listRuns(db.appSql, { limit: 10, cursor: "not-a-cursor" }), "MALFORMED_INPUT");
    const forged = Buffer.from(JSON.stringify(["1; drop table", "x"])).toString("base64url");
    await expectCode(listRuns(db.appSql, { limit: 10, cursor: forged }), "MALFORMED_INPUT");
    await expectCode(listRuns(db.appSql, { limit: 0 }), "MALFORMED_INPUT");
  });
});
