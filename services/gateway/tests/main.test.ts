import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";
import { type GatewayProcess, profile, spawnGateway, token } from "./utils.ts";

let db: TestDatabase;
let nats: TestNats;
let proc: GatewayProcess["proc"];
let base: string;

beforeAll(async () => {
  db = await createTestDatabase("gw_main");
  nats = await createTestNats("gw_main");
  ({ proc, base } = await spawnGateway(db, nats));
});

afterAll(async () => {
  if (proc.exitCode === null) proc.kill("SIGKILL");
  await nats.cleanup();
  await db.drop();
});

describe("gateway process", () => {
  test("main - ≥ 50 parallel creates over HTTP: never more than 2 admitted, none lost, queued runs start when one ends", async () => {
    const admin = await token();
    const manifest = profile("dev", "banco-alfa");
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${base}/api/v1/seed-runs`, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${admin}`,
            "Content-Type": "application/yaml",
            "Idempotency-Key": `p-${i}`,
          },
          body: manifest.replace("tenant: banco-alfa", `tenant: load-${i}`),
        }),
      ),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { id: string; state: string }[];
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(202));
    expect(bodies.filter((b) => b.state === "admitted").length).toBeLessThanOrEqual(2);
    const rows = await db.adminSql`select state, count(*)::int as n from seed.runs group by state`;
    const byState = Object.fromEntries(rows.map((r) => [r.state, r.n]));
    expect(byState.admitted).toBe(2);
    expect(byState.queued).toBe(48);

    const admitted = await db.adminSql`select id, etag_version from seed.runs where state = 'admitted' limit 1`;
    const run = admitted[0] as { id: string; etag_version: number };
    const cancel = await fetch(`${base}/api/v1/seed-runs/${run.id}/cancel`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${admin}`,
        "Idempotency-Key": "cancel-1",
        "If-Match": `"${run.id}-${run.etag_version}"`,
      },
    });
    expect(cancel.status).toBe(202);
    const after = await db.adminSql`select state, count(*)::int as n from seed.runs group by state`;
    const afterByState = Object.fromEntries(after.map((r) => [r.state, r.n]));
    expect(afterByState.admitted).toBe(2);
    expect(afterByState.queued).toBe(47);
    expect(afterByState.cancelled).toBe(1);
  });

  test("main - readiness is ok and SIGTERM shuts down gracefully", async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    proc.kill("SIGTERM");
    const code = await proc.exited;
    expect(code).toBe(0);
    const down = await fetch(`${base}/healthz`).then(
      () => "up",
      () => "down",
    );
    expect(down).toBe("down");
  });
});
