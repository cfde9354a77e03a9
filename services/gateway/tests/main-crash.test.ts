import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";
import { type GatewayProcess, profile, spawnGateway, token } from "./utils.ts";

const LEASE_TTL_S = 2;
// Sweep period (1 s) plus process start-up and scheduling slack on a loaded 2-core runner.
const MARGIN_MS = 3_000;

let db: TestDatabase;
let nats: TestNats;
const started: GatewayProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase("gw_crash");
  nats = await createTestNats("gw_crash");
});

afterAll(async () => {
  for (const { proc } of started) if (proc.exitCode === null) proc.kill("SIGKILL");
  await Promise.all(started.map(({ proc }) => proc.exited));
  await nats.cleanup();
  await db.drop();
});

async function spawn(): Promise<GatewayProcess> {
  const gateway = await spawnGateway(db, nats, {
    GATEWAY_TENANT_LEASE_TTL_S: String(LEASE_TTL_S),
    GATEWAY_SLOT_LEASE_TTL_S: String(LEASE_TTL_S),
  });
  started.push(gateway);
  return gateway;
}

async function createRun(base: string, key: string): Promise<{ status: number; body: { id: string; state: string } }> {
  const res = await fetch(`${base}/api/v1/seed-runs`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${await token()}`,
      "Content-Type": "application/yaml",
      "Idempotency-Key": key,
    },
    body: profile("dev", "banco-alfa"),
  });
  return { status: res.status, body: (await res.json()) as { id: string; state: string } };
}

describe("gateway crash", () => {
  test("main - kill -9 of the gateway holding a lease frees it within the TTL; the orphan fails LEASE_LOST", async () => {
    const first = await spawn();
    const orphan = await createRun(first.base, "crash-1");
    expect(orphan.status).toBe(202);
    expect(orphan.body.state).toBe("admitted");

    first.proc.kill("SIGKILL");
    const killedAt = performance.now();
    expect(await first.proc.exited).not.toBe(0);

    const second = await spawn();
    const next = await createRun(second.base, "crash-2");
    expect(next.status).toBe(202);
    expect(["admitted", "queued"]).toContain(next.body.state);

    let maxAdmitted = 0;
    let state = next.body.state;
    while (state !== "admitted" && performance.now() - killedAt < LEASE_TTL_S * 1000 + MARGIN_MS * 2) {
      await Bun.sleep(100);
      const rows = await db.adminSql<{ id: string; state: string }[]>`select id, state from seed.runs`;
      maxAdmitted = Math.max(maxAdmitted, rows.filter((r) => r.state === "admitted").length);
      state = rows.find((r) => r.id === next.body.id)?.state ?? "missing";
    }
    const elapsedMs = performance.now() - killedAt;
    expect(state).toBe("admitted");
    expect(elapsedMs).toBeLessThanOrEqual(LEASE_TTL_S * 1000 + MARGIN_MS);
    expect(maxAdmitted).toBeLessThanOrEqual(2);

    const [failed] = await db.adminSql<{ state: string; reason: { code: string; type: string } }[]>`
      select state, reason from seed.runs where id = ${orphan.body.id}`;
    expect(failed?.state).toBe("failed");
    expect(failed?.reason.code).toBe("LEASE_LOST");
    expect(failed?.reason.type).toContain("lease-lost");
    const audit = await db.adminSql`
      select 1 from seed.audit_log where run_id = ${orphan.body.id} and reason = 'LEASE_LOST'`;
    expect(audit.length).toBeGreaterThanOrEqual(1);
    // The tenant's two runs never overlapped: the orphan was failed in the transaction that admitted its successor.
    const overlap = await db.adminSql`
      select 1 from seed.runs where tenant_id = 'banco-alfa' and environment = 'dev' and state = 'admitted'`;
    expect(overlap.length).toBe(1);
  }, 30_000);
});
