import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";
import { type GatewayProcess, profile, spawnGateway, token } from "./utils.ts";

const QUEUE_TTL_S = 1;

let db: TestDatabase;
let nats: TestNats;
let gateway: GatewayProcess;

beforeAll(async () => {
  db = await createTestDatabase("gw_queue");
  nats = await createTestNats("gw_queue");
  gateway = await spawnGateway(db, nats, { GATEWAY_QUEUE_TTL_S: String(QUEUE_TTL_S), SEMENTE_GLOBAL_SLOTS: "1" });
});

afterAll(async () => {
  if (gateway.proc.exitCode === null) gateway.proc.kill("SIGKILL");
  await gateway.proc.exited;
  await nats.cleanup();
  await db.drop();
});

interface RunBody {
  id: string;
  state: string;
  queued_until: string | null;
  reason: { code: string; type: string; status: number } | null;
}

async function send(path: string, init: { method?: string; body?: string; key?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${await token()}` };
  if (init.key !== undefined) headers["Idempotency-Key"] = init.key;
  if (init.body !== undefined) headers["Content-Type"] = "application/yaml";
  return fetch(`${gateway.base}${path}`, { method: init.method ?? "GET", headers, body: init.body });
}

describe("gateway queue", () => {
  test("main - with GATEWAY_QUEUE_TTL_S=1 a queued run expires over HTTP with QUEUE_EXPIRED", async () => {
    const holder = await send("/api/v1/seed-runs", { method: "POST", body: profile("dev", "banco-alfa"), key: "q-1" });
    expect(((await holder.json()) as RunBody).state).toBe("admitted");
    const before = Date.now();
    const waiting = await send("/api/v1/seed-runs", { method: "POST", body: profile("dev", "banco-beta"), key: "q-2" });
    const after = Date.now();
    const queued = (await waiting.json()) as RunBody;
    expect(waiting.status).toBe(202);
    expect(queued.state).toBe("queued");
    // The deadline is the configured TTL after the request (PostgreSQL shares this machine's clock).
    const deadline = Date.parse(queued.queued_until as string);
    expect(deadline).toBeGreaterThanOrEqual(before + QUEUE_TTL_S * 1000 - 50);
    expect(deadline).toBeLessThanOrEqual(after + QUEUE_TTL_S * 1000 + 50);

    const location = waiting.headers.get("location") as string;
    let run = queued;
    for (let i = 0; i < 60 && run.state === "queued"; i++) {
      await Bun.sleep(100);
      run = (await (await send(location)).json()) as RunBody;
    }
    expect(run.state).toBe("expired");
    expect(run.reason?.code).toBe("QUEUE_EXPIRED");
    expect(run.reason?.type).toContain("queue-expired");
    const audit = await db.adminSql`
      select 1 from seed.audit_log where run_id = ${queued.id} and reason = 'QUEUE_EXPIRED'`;
    expect(audit.length).toBe(1);
    const entry = await db.adminSql`select state from seed.queue_entries where run_id = ${queued.id}`;
    expect(entry[0]?.state).toBe("expired");
  }, 30_000);
});
