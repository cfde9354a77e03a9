import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../../packages/platform/tests/admission/admission-helpers.ts";
import { type OwnNats, startOwnNats } from "../../../packages/platform/tests/own-nats.ts";
import { cli, createE2eInfra, type E2eInfra, lastJson, ROOT, type SeedJson, startStack } from "./e2e-utils.ts";

const ALFA = "configs/seed_profiles/dev/banco-alfa.yaml";
const BOUND_MS = 3_000;

let own: OwnNats;
let infra: E2eInfra;

beforeAll(async () => {
  // This file stops its broker: it runs its own nats-server, never the shared one.
  own = await startOwnNats();
  const shared = process.env.NATS_URL;
  process.env.NATS_URL = own.url;
  try {
    infra = await createE2eInfra(["banco-alfa"]);
  } finally {
    if (shared === undefined) delete process.env.NATS_URL;
    else process.env.NATS_URL = shared;
  }
  infra.env.PLANNER_BROKER_LOSS_MS = String(BOUND_MS);
});
afterAll(async () => {
  await infra.cleanup();
  await own.cleanup();
});

describe("broker loss", () => {
  test("broker - NATS stopped: create is a 503 problem with no run row, the running run fails BROKER_LOST within the bound, a new run completes after NATS returns", async () => {
    // No seeder yet: the first run is released and then stays `running`.
    const stack = await startStack(infra, "broker_loss", 0);
    try {
      const submitted = await cli(stack, ["seed", "--profile", ALFA, "--json"]);
      expect(submitted.code).toBe(0);
      const first = lastJson<SeedJson>(submitted.stdout);
      const stateOf = async (id: string) =>
        (
          await stack.db.adminSql<{ state: string; reason: { code: string } | null }[]>`
          select state, reason from seed.runs where id = ${id}`
        )[0];
      await waitFor(async () => (await stateOf(first.id))?.state === "running", 20_000);
      const minted = await cli(stack, ["token", "--role", "seed-runner", "--tenant", "banco-alfa", "--env", "dev"]);
      const token = minted.stdout.trim().split("\n").at(-1) as string;

      await own.stop();
      const stoppedAt = performance.now();
      const res = await fetch(`${stack.cliEnv.GATEWAY_URL}/api/v1/seed-runs`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "idempotency-key": "broker-1",
        },
        body: JSON.stringify({ manifest_yaml: readFileSync(join(ROOT, ALFA), "utf8"), dry_run: false }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(((await res.json()) as { code: string }).code).toBe("UNAVAILABLE");
      const runs = await stack.db.adminSql<{ id: string }[]>`select id from seed.runs`;
      expect(runs.map((r) => r.id)).toEqual([first.id]);

      await waitFor(async () => (await stateOf(first.id))?.state === "failed", BOUND_MS + 15_000);
      const failedAfterMs = performance.now() - stoppedAt;
      expect(failedAfterMs).toBeGreaterThanOrEqual(BOUND_MS);
      expect((await stateOf(first.id))?.reason?.code).toBe("BROKER_LOST");

      await own.restart();
      await stack.startSeeder();
      const after = await cli(stack, ["seed", "--profile", ALFA, "--follow", "--json"], 90_000);
      if (after.code !== 0) console.error(after.stdout, after.stderr);
      expect(after.code).toBe(0);
      expect(lastJson<SeedJson>(after.stdout).state).toBe("completed");
    } finally {
      await stack.stop();
    }
  }, 150_000);
});
