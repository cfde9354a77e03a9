import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { mintToken, resolveAuthKeys, type Role } from "@semente/platform/auth";
import { createTestDatabase, type TestDatabase } from "../../../platform/tests/harness.ts";
import { runCli } from "../utils.ts";

const ENTRY = resolve(import.meta.dir, "maintenance-entry.ts");
const SECRET = "cli-secret-cli-secret-cli-secret-012345";
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("cli_maintenance");
});
afterAll(async () => {
  await db.drop();
});

async function token(roles: Role[], tenants: string[]): Promise<string> {
  return mintToken(resolveAuthKeys({ env: { GATEWAY_JWT_SECRET: SECRET } }), {
    subject: "carol",
    roles,
    tenants,
    environments: ["dev"],
    ttlSeconds: 600,
    issuedAt: Math.floor(Date.now() / 1000),
  });
}

function semente(args: string[], jwt?: string) {
  return runCli(ENTRY, args, {
    GATEWAY_JWT_SECRET: SECRET,
    SEMENTE_APP_DATABASE_URL: db.urls.app,
    CI: "true",
    ...(jwt === undefined ? {} : { SEMENTE_TOKEN: jwt }),
  });
}

const flags = ["--tenant", "banco-alfa", "--env", "dev"];

describe("maintenance command", () => {
  test("maintenance - an admin sets, reads and clears the flag; both changes are audited", async () => {
    const admin = await token(["admin"], ["banco-alfa"]);
    const set = await semente(["set", ...flags, "--reason", "gameday", "--json"], admin);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      flagged: true,
      underMaintenance: true,
      setBy: "carol",
      reason: "gameday",
    });
    const status = await semente(["status", ...flags], admin);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("under maintenance (writes refused)");
    const clear = await semente(["clear", ...flags, "--json"], admin);
    expect(JSON.parse(clear.stdout)).toMatchObject({ flagged: false, underMaintenance: false });
    const audit = await db.adminSql<{ action: string; actor: string }[]>`
      select action, actor from seed.audit_log where action like 'maintenance.%' order by id`;
    expect([...audit]).toEqual([
      { action: "maintenance.set", actor: "carol" },
      { action: "maintenance.clear", actor: "carol" },
    ]);
  });

  test("maintenance - a runner, or an admin of another tenant, is refused (exit 7) and nothing changes", async () => {
    for (const jwt of [await token(["seed-runner"], ["banco-alfa"]), await token(["admin"], ["banco-beta"])]) {
      const refused = await semente(["set", ...flags], jwt);
      expect(refused.code).toBe(7);
      expect(refused.stderr).toContain("FORBIDDEN");
    }
    const [row] = await db.adminSql<{ active: boolean }[]>`
      select active from seed.tenant_maintenance where tenant_id = 'banco-alfa'`;
    expect(row?.active).toBe(false);
  });

  test("maintenance - bad input is a usage error (exit 2)", async () => {
    const admin = await token(["admin"], ["banco-alfa"]);
    expect((await semente(["freeze", ...flags], admin)).code).toBe(2);
    expect((await semente(["set", "--tenant", "Bad_Tenant", "--env", "dev"], admin)).code).toBe(2);
    expect((await semente(["set", ...flags, "--until", "tomorrow"], admin)).code).toBe(2);
  });
});
