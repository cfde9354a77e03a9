import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { seedTenant } from "../../../../packages/platform/tests/lifecycle/utils.ts";
import { createWorld, NIGHT, profile, requester, seedRunPoster, type TestWorld, token } from "../utils.ts";

let world: TestWorld;
let admin: string;
let send: ReturnType<typeof requester>;

/** The canonical DR profile: staging/banco-beta, mode dr, window 23:00–05:00 (NIGHT is 03:00). */
const DR = profile("staging", "banco-beta");

beforeAll(async () => {
  world = await createWorld("gw_dr_drill", { now: NIGHT, globalSlots: 10 });
  admin = await token();
  // A gateway serves one environment (R3.4): the DR profile's, staging.
  send = requester((await world.newGateway({ environment: "staging" })).app);
  await seedTenant(world.db, "banco-alfa");
}, 60_000);
afterAll(() => world.close());

const poster = seedRunPoster(() => send, "drill");
const post = (body: unknown, as = admin): Promise<Response> => poster.post(body, as);

async function runCount(): Promise<number> {
  const [row] = await world.db.adminSql<{ n: number }[]>`select count(*)::int as n from seed.runs`;
  return row?.n ?? 0;
}

async function problem(res: Response): Promise<{ code: string; detail: string; holder_run?: string }> {
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return (await res.json()) as { code: string; detail: string; holder_run?: string };
}

describe("POST /api/v1/seed-runs with operation dr_drill", () => {
  test("refusals - 403 for a seed-runner, 403 MODE_NOT_ALLOWED for a non-DR manifest, 422 as a dry run: no run created", async () => {
    const before = await runCount();
    const runner = await token({ roles: ["seed-runner"] });
    const notAdmin = await post({ operation: "dr_drill", manifest_yaml: DR }, runner);
    expect(notAdmin.status).toBe(403);
    expect((await problem(notAdmin)).code).toBe("FORBIDDEN");
    const otherTenant = await token({ roles: ["admin"], tenants: ["banco-alfa"] });
    expect((await post({ operation: "dr_drill", manifest_yaml: DR }, otherTenant)).status).toBe(403);
    const devManifest = await post({ operation: "dr_drill", manifest_yaml: profile("dev", "banco-alfa") });
    expect(devManifest.status).toBe(403);
    expect((await problem(devManifest)).code).toBe("ENVIRONMENT_NOT_SERVED");
    for (const manifest of [profile("staging", "banco-alfa")]) {
      const notDr = await post({ operation: "dr_drill", manifest_yaml: manifest });
      expect(notDr.status).toBe(403);
      const p = await problem(notDr);
      expect(p.code).toBe("MODE_NOT_ALLOWED");
      expect(p.detail).toContain("a DR drill needs a manifest in dr mode");
    }
    const dry = await post({ operation: "dr_drill", manifest_yaml: DR, dry_run: true });
    expect(dry.status).toBe(422);
    expect(JSON.stringify(await problem(dry))).toContain("a dr_drill deletes data: it cannot be a dry run");
    // A DR manifest outside the environments R6.10 allows does not even validate.
    const devDr = DR.replace("environment: staging", "environment: dev");
    const refused = await post({ operation: "dr_drill", manifest_yaml: devDr });
    expect(refused.status).toBe(403);
    expect((await problem(refused)).code).toBe("MODE_NOT_ALLOWED");
    expect(await runCount()).toBe(before);
  });

  test("drill - 202 admitted as a dr_drill run holding the tenant; a second drill is 409 naming the holder", async () => {
    const res = await post({ operation: "dr_drill", manifest_yaml: DR });
    expect(res.status).toBe(202);
    const run = (await res.json()) as { id: string; state: string; operation: string; mode: string };
    expect(run).toMatchObject({ state: "admitted", operation: "dr_drill", mode: "dr" });
    const again = await post({ operation: "dr_drill", manifest_yaml: DR });
    expect(again.status).toBe(409);
    const p = await problem(again);
    expect(p.code).toBe("LEASE_HELD");
    expect(p.holder_run).toBe(run.id);
    // The same manifest as a plain seed or a reseed is another request, not a replay of the drill.
    const [row] = await world.db.adminSql<
      { operation: string }[]
    >`select operation from seed.runs where id = ${run.id}`;
    expect(row?.operation).toBe("dr_drill");
  });
});
