import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type AdmissionBuckets, openAdmissionBuckets } from "../../src/bus/index.ts";
import { claimLease, readLease, releaseLease, renewLease } from "../../src/admission/index.ts";
import { createTestNats, type TestNats } from "../nats-harness.ts";

let nats: TestNats;
let buckets: AdmissionBuckets;

beforeAll(async () => {
  nats = await createTestNats("lease");
  buckets = await openAdmissionBuckets(nats.nc, {
    prefix: nats.prefix,
    slotLeaseTtlMs: 2_000,
    tenantLeaseTtlMs: 3_000,
  });
});

afterAll(async () => {
  await nats.cleanup();
});

describe("leases", () => {
  test("bus - buckets keep one revision and a bucket-wide TTL of twice the lease TTL", async () => {
    const slots = await buckets.slots.status();
    const tenants = await buckets.tenantLeases.status();
    expect(slots.history).toBe(1);
    expect(slots.ttl).toBe(4_000);
    expect(tenants.ttl).toBe(6_000);
  });

  test("bus - a live lease cannot be claimed; an expired one is taken over by CAS", async () => {
    const t0 = 1_000_000;
    const a = await claimLease(buckets.slots, "dev.slot.0", { runId: "a", holderId: "h1", expiresAt: t0 + 100 }, t0);
    expect(a.ok).toBe(true);
    const b = await claimLease(
      buckets.slots,
      "dev.slot.0",
      { runId: "b", holderId: "h2", expiresAt: t0 + 200 },
      t0 + 50,
    );
    expect(b).toEqual({ ok: false, holder: { runId: "a", holderId: "h1", expiresAt: t0 + 100 } });
    const c = await claimLease(
      buckets.slots,
      "dev.slot.0",
      { runId: "c", holderId: "h2", expiresAt: t0 + 300 },
      t0 + 100,
    );
    expect(c.ok).toBe(true);
    if (!c.ok || !a.ok) return;
    expect(c.takenOver).toEqual({ runId: "a", holderId: "h1", expiresAt: t0 + 100 });
    // The previous holder's heartbeat now fails its CAS: it learns it lost the lease.
    expect(await renewLease(a.lease, t0 + 500)).toBe(false);
    expect(await renewLease(c.lease, t0 + 600)).toBe(true);
    expect((await readLease(buckets.slots, "dev.slot.0"))?.value?.expiresAt).toBe(t0 + 600);
  });

  test("bus - release deletes only the named run's lease, and the key is claimable again", async () => {
    const t0 = 2_000_000;
    const a = await claimLease(buckets.tenantLeases, "dev.acme", { runId: "a", holderId: "h1", expiresAt: t0 }, t0 - 1);
    expect(a.ok).toBe(true);
    expect(await releaseLease(buckets.tenantLeases, "dev.acme", "other")).toBe(false);
    expect(await releaseLease(buckets.tenantLeases, "dev.acme", "a")).toBe(true);
    expect(await readLease(buckets.tenantLeases, "dev.acme")).toBeNull();
    expect(await releaseLease(buckets.tenantLeases, "dev.acme", "a")).toBe(false);
    const b = await claimLease(buckets.tenantLeases, "dev.acme", { runId: "b", holderId: "h2", expiresAt: t0 }, t0 - 1);
    expect(b.ok).toBe(true);
  });

  test("bus - of many simultaneous claimers exactly one wins", async () => {
    const t0 = 3_000_000;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        claimLease(buckets.slots, "race.slot.0", { runId: `r${i}`, holderId: `h${i}`, expiresAt: t0 + 1_000 }, t0),
      ),
    );
    expect(results.filter((r) => r.ok).length).toBe(1);
  });
});
