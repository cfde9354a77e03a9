import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { seedTenant, snapshotTenant } from "../../../../packages/platform/tests/lifecycle/utils.ts";
import { createWorld, NIGHT, profile, requester, seedRunPoster, type TestWorld, token } from "../utils.ts";

let world: TestWorld;
let admin: string;
let send: ReturnType<typeof requester>;

beforeAll(async () => {
  world = await createWorld("gw_purge", { now: NIGHT, globalSlots: 10 });
  admin = await token();
  send = requester(world.gateway.app);
  // Two tenants with data and a completed run each (the harness seeds as the data plane).
  await seedTenant(world.db, "banco-alfa");
  await seedTenant(world.db, "banco-beta");
});
afterAll(() => world.close());

const poster = seedRunPoster(() => send, "purge");
const post = (body: unknown, as = admin): Promise<Response> => poster.post(body, as);

/** Every row of both tenants, hashed (superuser): a refusal must leave them byte-identical. */
async function dataHash(): Promise<string> {
  const both = [await snapshotTenant(world.db, "banco-alfa"), await snapshotTenant(world.db, "banco-beta")];
  return createHash("sha256").update(JSON.stringify(both)).digest("hex");
}

async function runCount(): Promise<number> {
  const [row] = await world.db.adminSql<{ n: number }[]>`select count(*)::int as n from seed.runs`;
  return row?.n ?? 0;
}

async function problem(
  res: Response,
): Promise<{ code: string; detail: string; holder_run?: string; errors?: unknown }> {
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return (await res.json()) as { code: string; detail: string; holder_run?: string };
}

describe("POST /api/v1/seed-runs with operation purge or reseed", () => {
  test("refusals - 403 without admin, 403 outside the token's tenants, 404 unknown tenant, 422 malformed: nothing deleted or created", async () => {
    const before = { data: await dataHash(), runs: await runCount() };
    const runner = await token({ roles: ["seed-runner"] });
    const notRunner = await post({ operation: "purge", tenant: "banco-alfa", environment: "dev" }, runner);
    expect(notRunner.status).toBe(403);
    expect((await problem(notRunner)).code).toBe("FORBIDDEN");
    const reseedRunner = await post({ operation: "reseed", manifest_yaml: profile("dev", "banco-alfa") }, runner);
    expect(reseedRunner.status).toBe(403);
    const otherTenant = await token({ roles: ["admin"], tenants: ["banco-beta"] });
    const outside = await post({ operation: "purge", tenant: "banco-alfa", environment: "dev" }, otherTenant);
    expect(outside.status).toBe(403);
    const unknown = await post({ operation: "purge", tenant: "banco-nunca", environment: "dev" });
    expect(unknown.status).toBe(404);
    expect((await problem(unknown)).detail).toContain("no run and no checkpoint");
    const malformed = await post({ operation: "purge", tenant: "banco-alfa", environment: "dev", manifest: {} });
    expect(malformed.status).toBe(422);
    const badMode = await post({ operation: "purge", tenant: "banco-alfa", environment: "dev", mode: "load" });
    expect(badMode.status).toBe(403);
    expect((await problem(badMode)).code).toBe("MODE_NOT_ALLOWED");
    const dryReseed = await post({ operation: "reseed", manifest_yaml: profile("dev", "banco-alfa"), dry_run: true });
    expect(dryReseed.status).toBe(422);
    const unknownOp = await post({ operation: "truncate", tenant: "banco-alfa", environment: "dev" });
    expect(unknownOp.status).toBe(422);
    expect({ data: await dataHash(), runs: await runCount() }).toEqual(before);
    const audited = await world.db.adminSql<{ reason: string }[]>`
      select reason from seed.audit_log where action = 'http.refuse' and reason in ('FORBIDDEN', 'MODE_NOT_ALLOWED')`;
    expect(audited.length).toBe(4);
  });

  test("purge - 202 admitted as a purge run holding the tenant; a second purge or reseed is 409 naming the holder", async () => {
    const res = await post({ operation: "purge", tenant: "banco-alfa", environment: "dev", mode: "baseline" });
    expect(res.status).toBe(202);
    const run = (await res.json()) as {
      id: string;
      state: string;
      operation: string;
      mode: string;
      progress: { rows_deleted: number | null };
    };
    expect(run.state).toBe("admitted");
    expect(run.operation).toBe("purge");
    expect(run.mode).toBe("baseline");
    expect(run.progress.rows_deleted).toBeNull();
    const before = { data: await dataHash(), runs: await runCount() };
    for (const body of [
      { operation: "purge", tenant: "banco-alfa", environment: "dev" },
      { operation: "reseed", manifest_yaml: profile("dev", "banco-alfa") },
    ]) {
      const held = await post(body);
      expect(held.status).toBe(409);
      const p = await problem(held);
      expect(p.code).toBe("LEASE_HELD");
      expect(p.holder_run).toBe(run.id);
      expect(p.detail).toContain(run.id);
    }
    const refused = await world.db.adminSql`
      select 1 from seed.audit_log where action = 'http.refuse' and reason = 'LEASE_HELD' and tenant_id = 'banco-alfa'`;
    expect(refused.length).toBe(2);
    // a plain seed of the same tenant is queued behind it, as always
    const seed = await post({ manifest_yaml: profile("dev", "banco-alfa") });
    expect(seed.status).toBe(202);
    expect(((await seed.json()) as { state: string }).state).toBe("queued");
    expect(await dataHash()).toBe(before.data);
  });

  test("reseed - 202 admitted as a reseed run of the manifest", async () => {
    const res = await post({ operation: "reseed", manifest_yaml: profile("dev", "banco-beta") });
    expect(res.status).toBe(202);
    const run = (await res.json()) as { operation: string; tenant: string; manifest_hash: string };
    expect(run.operation).toBe("reseed");
    expect(run.tenant).toBe("banco-beta");
    // the same manifest as a plain seed is another request (another fingerprint), not a replay
    const seed = await send("POST", "/api/v1/seed-runs", {
      token: admin,
      contentType: "application/json",
      body: JSON.stringify({ manifest_yaml: profile("dev", "banco-beta") }),
      headers: { "Idempotency-Key": poster.lastKey() },
    });
    expect(seed.status).toBe(409);
    expect((await problem(seed)).code).toBe("IDEMPOTENCY_CONFLICT");
  });
});
