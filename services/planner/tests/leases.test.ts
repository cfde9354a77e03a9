import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { claimLease, openAdmissionBuckets, readLease, slotKey, tenantLeaseKey } from "@semente/platform/bus";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";
import { createLeaseKeeper } from "../src/leases.ts";

let nats: TestNats;

beforeAll(async () => {
  nats = await createTestNats("planner_leases");
});
afterAll(async () => {
  await nats.cleanup();
});

describe("lease keeper", () => {
  test("leases - the planner renews the slot and tenant lease of the runs it executes, and only those", async () => {
    const buckets = await openAdmissionBuckets(nats.nc, {
      prefix: nats.prefix,
      slotLeaseTtlMs: 60_000,
      tenantLeaseTtlMs: 60_000,
    });
    const soon = Date.now() + 1_000;
    const mine = { id: "run-mine", environment: "dev", tenantId: "banco-alfa" };
    await claimLease(
      buckets.slots,
      slotKey("dev", 1),
      { runId: mine.id, holderId: "gateway-a", expiresAt: soon },
      Date.now(),
    );
    await claimLease(
      buckets.tenantLeases,
      tenantLeaseKey("dev", "banco-alfa"),
      { runId: mine.id, holderId: "gateway-a", expiresAt: soon },
      Date.now(),
    );
    await claimLease(
      buckets.slots,
      slotKey("dev", 0),
      { runId: "run-other", holderId: "gateway-a", expiresAt: soon },
      Date.now(),
    );
    const keeper = await createLeaseKeeper({ nc: nats.nc, bucketPrefix: nats.prefix, globalSlots: 2, ttlMs: 60_000 });
    keeper.keep(mine);
    await keeper.renew();
    const slot = await readLease(buckets.slots, slotKey("dev", 1));
    const tenant = await readLease(buckets.tenantLeases, tenantLeaseKey("dev", "banco-alfa"));
    const other = await readLease(buckets.slots, slotKey("dev", 0));
    expect(slot?.value?.expiresAt).toBeGreaterThan(Date.now() + 50_000);
    expect(slot?.value?.holderId).toBe("gateway-a");
    expect(tenant?.value?.expiresAt).toBeGreaterThan(Date.now() + 50_000);
    expect(other?.value?.expiresAt).toBe(soon);
    keeper.drop(mine.id);
    const before = (await readLease(buckets.slots, slotKey("dev", 1)))?.revision;
    await keeper.renew();
    expect((await readLease(buckets.slots, slotKey("dev", 1)))?.revision).toBe(before);
    await keeper.stop();
  });
});
