import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { withTenant } from "@semente/platform/db";
import { bankingFixture } from "../../../packages/platform/tests/db/fixtures.ts";
import { cli, createE2eInfra, type E2eInfra, lastJson, type SeedJson, startStack } from "./e2e-utils.ts";

const ALFA = "configs/seed_profiles/dev/banco-alfa.yaml";
let infra: E2eInfra;

beforeAll(async () => {
  infra = await createE2eInfra(["banco-alfa"]);
});
afterAll(async () => {
  await infra.cleanup();
});

describe("e2e: maintenance flag held by a run", () => {
  test("maintenance - during a real run the owner cannot insert into the tenant's banking rows; after it, it can", async () => {
    const stack = await startStack(infra, "e2e_maintenance", 1);
    try {
      const ownerInsert = (row: number) =>
        withTenant(
          stack.db.ownerSql,
          "banco-alfa",
          (tx) => tx`insert into banking.users ${tx(bankingFixture("banco-alfa", 7, row).users)}`,
        );
      const seeding = cli(stack, ["seed", "--profile", ALFA, "--follow", "--json"]);
      let state = "";
      for (let i = 0; i < 600 && state !== "running" && state !== "planning"; i++) {
        const [run] = await stack.db.adminSql<{ state: string }[]>`select state from seed.runs limit 1`;
        state = run?.state ?? "";
        if (state === "completed") break;
        await Bun.sleep(20);
      }
      expect(["planning", "running"]).toContain(state);
      let refused: unknown;
      try {
        await ownerInsert(1);
      } catch (error) {
        refused = error;
      }
      expect((refused as { code?: string } | undefined)?.code).toBe("55000");
      expect(String((refused as Error).message)).toContain("banco-alfa is under maintenance");

      const done = await seeding;
      expect(done.code).toBe(0);
      expect(lastJson<SeedJson>(done.stdout).state).toBe("completed");
      const after = await cli(stack, ["maintenance", "status", "--tenant", "banco-alfa", "--env", "dev", "--json"]);
      expect(lastJson<{ underMaintenance: boolean }>(after.stdout).underMaintenance).toBe(false);
      const inserted = await ownerInsert(2);
      expect(inserted.count).toBe(1);
    } finally {
      await stack.stop();
    }
  }, 120_000);
});
