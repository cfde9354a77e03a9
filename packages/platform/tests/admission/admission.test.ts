import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { slotKey, tenantLeaseKey } from "../../src/bus/index.ts";
import { readLease } from "../../src/admission/index.ts";
import { isSementeError } from "@semente/core/errors";
import { requireRun, transitionRun } from "../../src/runs/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { createTestNats, type TestNats } from "../nats-harness.ts";
import { insertRun } from "../runs/run-fixture.ts";
import { bucketsFor, runEventsFor, testAdmission } from "./admission-helpers.ts";

let db: TestDatabase;
let nats: TestNats;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase("bus_admission"), createTestNats("admission")]);
});

afterAll(async () => {
  await Promise.all([db.drop(), nats.cleanup()]);
});

async function activeIn(environment: string, tenantId: string | null = null): Promise<number> {
  const rows = await db.adminSql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM seed.runs
    WHERE environment = ${environment} AND state IN ('admitted', 'planning', 'running')
      AND (${tenantId}::text IS NULL OR tenant_id = ${tenantId})`;
  return rows[0]!.n;
}

async function auditActions(runId: string): Promise<string[]> {
  const rows = await db.adminSql<
    { action: string }[]
  >`SELECT action FROM seed.audit_log WHERE run_id = ${runId} ORDER BY id`;
  return rows.map((r) => r.action);
}

describe("admission", () => {
  test("admission - with the cap at 2 a third run is queued and admitted when one is released", async () => {
    const admission = await testAdmission(db, nats, { holderId: "g1", scope: "cap" });
    const buckets = await bucketsFor(nats, "cap");
    const r1 = await insertRun(db.appSql, { environment: "staging", tenantId: "cap-a" });
    const r2 = await insertRun(db.appSql, { environment: "staging", tenantId: "cap-b" });
    const r3 = await insertRun(db.appSql, { environment: "staging", tenantId: "cap-c" });
    const other = await insertRun(db.appSql, { environment: "perf", tenantId: "cap-d" });

    expect((await admission.submit(r1)).state).toBe("admitted");
    expect((await admission.submit(r2)).state).toBe("admitted");
    const third = await admission.submit(r3);
    expect(third.state).toBe("queued");
    if (third.state !== "queued") return;
    expect(third.queuedUntil.getTime()).toBeGreaterThan(third.run.createdAt.getTime() + 250_000);
    expect(third.run.queuedUntil?.getTime()).toBe(third.queuedUntil.getTime());
    expect((await admission.submit(other)).state).toBe("admitted");
    expect(await activeIn("staging")).toBe(2);
    expect((await readLease(buckets.slots, slotKey("staging", 0)))?.value).toMatchObject({
      runId: r1.id,
      holderId: "g1",
    });
    expect((await readLease(buckets.tenantLeases, tenantLeaseKey("staging", "cap-b")))?.value?.runId).toBe(r2.id);

    await transitionRun(db.appSql, r1.id, { to: "cancelled" });
    const promoted = await admission.release(r1.id);
    expect(promoted.admitted.map((r) => r.id)).toEqual([r3.id]);
    const after = await requireRun(db.appSql, r3.id);
    expect(after.state).toBe("admitted");
    expect(after.queuedUntil).toBeNull();
    expect(await activeIn("staging")).toBe(2);
    expect(await readLease(buckets.tenantLeases, tenantLeaseKey("staging", "cap-a"))).toBeNull();

    expect(await auditActions(r3.id)).toEqual(["run.create", "admission.queue", "run.admitted"]);
    expect(await auditActions(r1.id)).toContain("admission.release");
    const entry = await db.adminSql<{ state: string }[]>`SELECT state FROM seed.queue_entries WHERE run_id = ${r3.id}`;
    expect(entry[0]?.state).toBe("admitted");

    const events = runEventsFor(nats);
    const msg = await nats.jsm.streams.getMessage(events.streamName, {
      last_by_subj: `${events.subjectPrefix}seed.run.staging.cap-c.${r3.id}.admitted`,
    });
    expect(msg?.json<{ run: { state: string } }>().run.state).toBe("admitted");
  });

  test("admission - a second run of the same tenant waits even with a free slot and never overlaps", async () => {
    const admission = await testAdmission(db, nats, { holderId: "g1", scope: "tenant" });
    const first = await insertRun(db.appSql, { environment: "dev", tenantId: "same-co" });
    const second = await insertRun(db.appSql, { environment: "dev", tenantId: "same-co" });
    const stranger = await insertRun(db.appSql, { environment: "dev", tenantId: "other-co" });

    expect((await admission.submit(first)).state).toBe("admitted");
    expect((await admission.submit(second)).state).toBe("queued");
    const waiting = await db.adminSql<{ waiting_for: string }[]>`
      SELECT waiting_for FROM seed.queue_entries WHERE run_id = ${second.id}`;
    expect(waiting[0]?.waiting_for).toBe("tenant_lease");
    // FIFO is kept for others: a later run of another tenant passes the blocked entry.
    expect((await admission.submit(stranger)).state).toBe("admitted");
    expect(await activeIn("dev", "same-co")).toBe(1);

    await transitionRun(db.appSql, first.id, { to: "planning" });
    await transitionRun(db.appSql, first.id, { to: "running" });
    expect((await admission.promote("dev")).admitted).toEqual([]);
    expect(await activeIn("dev", "same-co")).toBe(1);
    await transitionRun(db.appSql, first.id, { to: "completed" });
    const promoted = await admission.release(first.id);
    expect(promoted.admitted.map((r) => r.id)).toEqual([second.id]);
    expect(await activeIn("dev", "same-co")).toBe(1);
    expect((await requireRun(db.appSql, second.id)).state).toBe("admitted");
  });

  test("admission - a queued run past its TTL expires with an audit row and a QUEUE_EXPIRED problem", async () => {
    const admission = await testAdmission(db, nats, { holderId: "g1", scope: "ttl", globalSlots: 1, queueTtlMs: 300 });
    const holder = await insertRun(db.appSql, { environment: "homolog", tenantId: "ttl-a" });
    const waiter = await insertRun(db.appSql, { environment: "homolog", tenantId: "ttl-b" });
    expect((await admission.submit(holder)).state).toBe("admitted");
    expect((await admission.submit(waiter)).state).toBe("queued");
    await Bun.sleep(400);
    const result = await admission.promote();
    expect(result.expired.map((r) => r.id)).toEqual([waiter.id]);
    const expired = await requireRun(db.appSql, waiter.id);
    expect(expired.state).toBe("expired");
    expect(expired.finishedAt).not.toBeNull();
    expect(expired.reason).toMatchObject({
      type: "https://semente.dev/problems/queue-expired",
      code: "QUEUE_EXPIRED",
      status: 409,
      instance: `/api/v1/seed-runs/${waiter.id}`,
    });
    const audit = await db.adminSql<{ outcome: string; reason: string; actor: string }[]>`
      SELECT outcome, reason, actor FROM seed.audit_log WHERE run_id = ${waiter.id} AND action = 'run.expired'`;
    expect(audit.map((a) => ({ ...a }))).toEqual([{ outcome: "failure", reason: "QUEUE_EXPIRED", actor: "gateway" }]);
    const entry = await db.adminSql<
      { state: string }[]
    >`SELECT state FROM seed.queue_entries WHERE run_id = ${waiter.id}`;
    expect(entry[0]?.state).toBe("expired");
    const events = runEventsFor(nats);
    const msg = await nats.jsm.streams.getMessage(events.streamName, {
      last_by_subj: `${events.subjectPrefix}seed.run.homolog.ttl-b.${waiter.id}.expired`,
    });
    expect(msg?.json<{ event: string }>().event).toBe("expired");
  });

  test("admission - the tenant maintenance flag refuses the run and cancels it", async () => {
    const admission = await testAdmission(db, nats, { holderId: "g1", scope: "maint" });
    const run = await insertRun(db.appSql, { environment: "prod", tenantId: "maint-co" });
    await db.adminSql`INSERT INTO seed.tenant_maintenance (tenant_id, environment, active, reason, set_by)
      VALUES ('maint-co', 'prod', true, 'ledger migration', 'ops')`;
    let caught: unknown;
    try {
      await admission.submit(run);
    } catch (error) {
      caught = error;
    }
    expect(isSementeError(caught) && caught.code === "TENANT_MAINTENANCE").toBe(true);
    const after = await requireRun(db.appSql, run.id);
    expect(after.state).toBe("cancelled");
    expect(after.reason?.code).toBe("TENANT_MAINTENANCE");
    expect(await auditActions(run.id)).toEqual(["run.create", "admission.refuse", "run.cancelled"]);
  });

  test("admission - a cancelled queued run leaves the queue without taking a slot", async () => {
    const admission = await testAdmission(db, nats, { holderId: "g1", scope: "cancel", globalSlots: 1 });
    const holder = await insertRun(db.appSql, { environment: "perf", tenantId: "cancel-a" });
    const waiter = await insertRun(db.appSql, { environment: "perf", tenantId: "cancel-b" });
    expect((await admission.submit(holder)).state).toBe("admitted");
    expect((await admission.submit(waiter)).state).toBe("queued");
    await transitionRun(db.appSql, waiter.id, { to: "cancelled" });
    await transitionRun(db.appSql, holder.id, { to: "cancelled" });
    const result = await admission.release(holder.id);
    expect(result.admitted).toEqual([]);
    const entry = await db.adminSql<
      { state: string }[]
    >`SELECT state FROM seed.queue_entries WHERE run_id = ${waiter.id}`;
    expect(entry[0]?.state).toBe("cancelled");
  });

  test("admission - heartbeats renew this holder's leases and free those of finished runs", async () => {
    const admission = await testAdmission(db, nats, {
      holderId: "g1",
      scope: "beat",
      slotLeaseTtlMs: 900,
      tenantLeaseTtlMs: 900,
      heartbeatMs: 150,
    });
    const rival = await testAdmission(db, nats, {
      holderId: "g2",
      scope: "beat",
      slotLeaseTtlMs: 900,
      tenantLeaseTtlMs: 900,
    });
    const buckets = await bucketsFor(nats, "beat");
    const run = await insertRun(db.appSql, { environment: "dev", tenantId: "beat-co" });
    expect((await admission.submit(run)).state).toBe("admitted");
    const before = await readLease(buckets.tenantLeases, tenantLeaseKey("dev", "beat-co"));
    admission.start();
    await Bun.sleep(1_300);
    const after = await readLease(buckets.tenantLeases, tenantLeaseKey("dev", "beat-co"));
    expect(after?.revision ?? 0).toBeGreaterThan(before?.revision ?? 0);
    expect(after?.value?.expiresAt ?? 0).toBeGreaterThan(before?.value?.expiresAt ?? 0);
    // Past the original TTL, but renewed: a rival replica cannot take it over.
    const next = await insertRun(db.appSql, { environment: "dev", tenantId: "beat-co" });
    expect((await rival.submit(next)).state).toBe("queued");
    expect((await requireRun(db.appSql, run.id)).state).toBe("admitted");

    await transitionRun(db.appSql, run.id, { to: "cancelled" });
    await admission.stop();
    await admission.heartbeat();
    expect(await readLease(buckets.tenantLeases, tenantLeaseKey("dev", "beat-co"))).toBeNull();
    expect((await rival.promote("dev")).admitted.map((r) => r.id)).toEqual([next.id]);
    await transitionRun(db.appSql, next.id, { to: "cancelled" });
    await rival.release(next.id);
  });

  test("admission - a run whose planner stopped stamping its lease is no longer renewed by the gateway, then taken over", async () => {
    const opts = { scope: "lapse", slotLeaseTtlMs: 900, tenantLeaseTtlMs: 900 };
    const admission = await testAdmission(db, nats, { holderId: "g1", ...opts });
    const rival = await testAdmission(db, nats, { holderId: "g2", ...opts });
    const buckets = await bucketsFor(nats, "lapse");
    const key = tenantLeaseKey("dev", "lapse-co");
    const run = await insertRun(db.appSql, { environment: "dev", tenantId: "lapse-co" });
    expect((await admission.submit(run)).state).toBe("admitted");
    await db.adminSql`update seed.runs set state = 'running', lease_expires_at = now() + interval '1 minute' where id = ${run.id}`;
    const first = (await readLease(buckets.tenantLeases, key))?.revision ?? 0;
    await admission.heartbeat();
    const renewed = (await readLease(buckets.tenantLeases, key))?.revision ?? 0;
    expect(renewed).toBeGreaterThan(first);

    // The planner died: its stamp passed. The gateway lets the lease run out instead of renewing it.
    await db.adminSql`update seed.runs set lease_expires_at = now() - interval '1 second' where id = ${run.id}`;
    await admission.heartbeat();
    await admission.heartbeat();
    expect((await readLease(buckets.tenantLeases, key))?.revision).toBe(renewed);
    await Bun.sleep(1_000);
    const next = await insertRun(db.appSql, { environment: "dev", tenantId: "lapse-co" });
    expect((await rival.submit(next)).state).toBe("admitted");
    const orphan = await requireRun(db.appSql, run.id);
    expect(orphan.state).toBe("failed");
    expect(orphan.reason?.code).toBe("LEASE_LOST");
    await transitionRun(db.appSql, next.id, { to: "cancelled" });
    await rival.release(next.id);
  });
});
