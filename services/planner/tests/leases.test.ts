import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type AdmissionBuckets, openAdmissionBuckets, slotKey, tenantLeaseKey } from "@semente/platform/bus";
import { claimLease, readLease } from "@semente/platform/admission";
import { createTestDatabase, runningRun, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";
import { createLeaseKeeper, type LeaseKeeper } from "../src/leases.ts";

let nats: TestNats;
let db: TestDatabase;
let buckets: AdmissionBuckets;

beforeAll(async () => {
  nats = await createTestNats("planner_leases");
  db = await createTestDatabase("planner_leases");
  buckets = await openAdmissionBuckets(nats.nc, {
    prefix: nats.prefix,
    slotLeaseTtlMs: 60_000,
    tenantLeaseTtlMs: 60_000,
  });
});
afterAll(async () => {
  await nats.cleanup();
  await db.drop();
});

function keeper(): Promise<LeaseKeeper> {
  return createLeaseKeeper({ nc: nats.nc, sql: db.appSql, bucketPrefix: nats.prefix, globalSlots: 2, ttlMs: 60_000 });
}

/** Seconds from the database's now() to the run's stamp; null when unstamped. */
async function stampIn(runId: string): Promise<number | null> {
  const [row] = await db.adminSql<{ s: number | null }[]>`
    select extract(epoch from lease_expires_at - now())::float8 as s from seed.runs where id = ${runId}`;
  return row?.s ?? null;
}

const claim = (kv: AdmissionBuckets["slots"], key: string, runId: string, expiresAt: number) =>
  claimLease(kv, key, { runId, holderId: "gateway-a", expiresAt }, Date.now());

describe("lease keeper", () => {
  test("leases - the planner renews the slot and tenant lease of the runs it executes, and only those, and stamps their expiry", async () => {
    const soon = Date.now() + 1_000;
    const mine = { id: await runningRun(db, "lease-alfa"), environment: "dev", tenantId: "lease-alfa" };
    const other = await runningRun(db, "lease-other");
    await claim(buckets.slots, slotKey("dev", 1), mine.id, soon);
    await claim(buckets.tenantLeases, tenantLeaseKey("dev", "lease-alfa"), mine.id, soon);
    await claim(buckets.slots, slotKey("dev", 0), other, soon);
    const keep = await keeper();
    keep.keep(mine);
    await keep.renew();
    const slot = await readLease(buckets.slots, slotKey("dev", 1));
    const tenant = await readLease(buckets.tenantLeases, tenantLeaseKey("dev", "lease-alfa"));
    expect(slot?.value?.expiresAt).toBeGreaterThan(Date.now() + 50_000);
    expect(slot?.value?.holderId).toBe("gateway-a");
    expect(tenant?.value?.expiresAt).toBeGreaterThan(Date.now() + 50_000);
    expect((await readLease(buckets.slots, slotKey("dev", 0)))?.value?.expiresAt).toBe(soon);
    // Stamped by the database clock, one TTL ahead; the other run is not.
    expect(await stampIn(mine.id)).toBeGreaterThan(55);
    expect(await stampIn(mine.id)).toBeLessThanOrEqual(60);
    expect(await stampIn(other)).toBeNull();
    keep.drop(mine.id);
    const before = (await readLease(buckets.slots, slotKey("dev", 1)))?.revision;
    await db.adminSql`update seed.runs set lease_expires_at = now() - interval '1 second' where id = ${mine.id}`;
    await keep.renew();
    expect((await readLease(buckets.slots, slotKey("dev", 1)))?.revision).toBe(before);
    expect(await stampIn(mine.id)).toBeLessThan(0);
    await keep.stop();
  });

  test("leases - a run whose tenant lease another run holds is not stamped; a lease that vanished is claimed again", async () => {
    const lost = { id: await runningRun(db, "lease-beta"), environment: "dev", tenantId: "lease-beta" };
    await claim(buckets.tenantLeases, tenantLeaseKey("dev", "lease-beta"), crypto.randomUUID(), Date.now() + 60_000);
    const gone = { id: await runningRun(db, "lease-gamma"), environment: "dev", tenantId: "lease-gamma" };
    const keep = await keeper();
    keep.keep(lost);
    keep.keep(gone);
    await keep.stop();
    expect(await stampIn(lost.id)).toBeNull();
    expect((await readLease(buckets.tenantLeases, tenantLeaseKey("dev", "lease-beta")))?.value?.runId).not.toBe(
      lost.id,
    );
    const reclaimed = await readLease(buckets.tenantLeases, tenantLeaseKey("dev", "lease-gamma"));
    expect(reclaimed?.value?.runId).toBe(gone.id);
    expect(reclaimed?.value?.holderId).toStartWith("planner-");
    expect(await stampIn(gone.id)).toBeGreaterThan(55);
  });

  test("leases - a terminal run is never stamped", async () => {
    const ended = { id: await runningRun(db, "lease-delta"), environment: "dev", tenantId: "lease-delta" };
    await db.adminSql`update seed.runs set state = 'completed', finished_at = now() where id = ${ended.id}`;
    const keep = await keeper();
    keep.keep(ended);
    await keep.stop();
    expect(await stampIn(ended.id)).toBeNull();
  });
});
