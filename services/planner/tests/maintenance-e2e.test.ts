import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withTenant } from "@semente/platform/db";
import { bankingFixture } from "../../../packages/platform/tests/db/fixtures.ts";
import {
  cli,
  createE2eInfra,
  type E2eInfra,
  lastJson,
  ROOT,
  type SeedJson,
  type Stack,
  startStack,
  until,
} from "./e2e-utils.ts";

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

  test("maintenance - kill -9 the planner mid-run: the tenant is free once the lease expires, frozen again when a planner resumes, free after the run", async () => {
    const ttl = "5";
    const stack = await startStack(infra, "e2e_lease_lapse", 1, {
      env: { PLANNER_LEASE_TTL_S: ttl, GATEWAY_TENANT_LEASE_TTL_S: ttl, GATEWAY_SLOT_LEASE_TTL_S: ttl },
    });
    try {
      // A paced run (~3,400 rows at 100 rows/s) that lasts long enough to kill its planner in the middle.
      const slow = readFileSync(join(ROOT, ALFA), "utf8")
        .replace("target_rows_per_second: 5000", "target_rows_per_second: 100")
        .replace("cap_rows_per_second: 10000", "cap_rows_per_second: 200")
        .replace("batch_size: 1000", "batch_size: 50");
      const file = join(mkdtempSync(join(tmpdir(), "semente-lease-")), "banco-alfa.yaml");
      writeFileSync(file, slow);
      const submitted = await cli(stack, ["seed", "--profile", file, "--json"]);
      expect(submitted.code).toBe(0);
      const runId = lastJson<SeedJson>(submitted.stdout).id;
      const run = () => runRow(stack, runId);
      await until("the run writes rows", async () => ((await run()).rows_written > 0 ? true : undefined));
      expect(await ownerInsertOutcome(stack)).toBe("55000");

      stack.planner.kill("SIGKILL");
      await stack.planner.exited;
      const killed = performance.now();
      const freed = await until("the tenant freed", async () =>
        (await ownerInsertOutcome(stack)) === "ok" ? true : undefined,
      );
      const freedAfterS = (performance.now() - killed) / 1000;
      console.log(
        `maintenance: tenant free ${freedAfterS.toFixed(1)} s after kill -9 of the planner (lease TTL ${ttl} s)`,
      );
      expect(freed).toBe(true);
      const lapsed = await run();
      expect(lapsed.state).toBe("running");
      expect(lapsed.lapsed).toBe(true);
      const status = await cli(stack, ["maintenance", "status", "--tenant", "banco-alfa", "--env", "dev", "--json"]);
      expect(lastJson<{ underMaintenance: boolean; runsLapsed: { id: string }[] }>(status.stdout)).toMatchObject({
        underMaintenance: false,
        runsLapsed: [{ id: runId }],
      });

      await stack.restartPlanner();
      await until("a planner resumes and freezes the tenant again", async () =>
        (await ownerInsertOutcome(stack)) === "55000" ? true : undefined,
      );
      await until(
        "the run completes",
        async () => {
          const state = (await run()).state;
          if (state !== "running") return state;
          return undefined;
        },
        120_000,
      ).then((state) => expect(state).toBe("completed"));
      expect(await ownerInsertOutcome(stack)).toBe("ok");
    } finally {
      await stack.stop();
    }
  }, 240_000);
});

let extraRow = 100;

/** "ok" when the owner (standing for the banking application) may insert a user of banco-alfa, else the SQLSTATE. */
async function ownerInsertOutcome(stack: Stack): Promise<string> {
  extraRow += 1;
  const user = bankingFixture("banco-alfa", 7, extraRow).users;
  try {
    await withTenant(stack.db.ownerSql, "banco-alfa", (tx) => tx`insert into banking.users ${tx(user)}`);
    return "ok";
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    throw error;
  }
}

async function runRow(stack: Stack, id: string): Promise<{ state: string; rows_written: number; lapsed: boolean }> {
  const [row] = await stack.db.adminSql<{ state: string; rows_written: number; lapsed: boolean }[]>`
    select state, rows_written::int, coalesce(lease_expires_at <= now(), false) as lapsed from seed.runs where id = ${id}`;
  if (row === undefined) throw new Error(`run ${id} not found`);
  return row;
}
