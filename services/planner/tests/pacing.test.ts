import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PACING_WINDOW_MS } from "@semente/core/pipeline";
import { cli, createE2eInfra, type E2eInfra, lastJson, ROOT, type SeedJson, startStack } from "./e2e-utils.ts";

const TARGET = 150;
const CAP = 200;

let infra: E2eInfra;

beforeAll(async () => {
  infra = await createE2eInfra(["banco-alfa"]);
});
afterAll(async () => {
  await infra.cleanup();
});

/** The dev profile of banco-alfa with a slow rate limit (about 20 s for its rows). */
function pacedProfile(): string {
  const text = readFileSync(join(ROOT, "configs/seed_profiles/dev/banco-alfa.yaml"), "utf8")
    .replace("target_rows_per_second: 5000", `target_rows_per_second: ${TARGET}`)
    .replace("cap_rows_per_second: 10000", `cap_rows_per_second: ${CAP}`)
    .replace("batch_size: 1000", "batch_size: 250");
  const file = join(mkdtempSync(join(tmpdir(), "semente-pacing-")), "banco-alfa.yaml");
  writeFileSync(file, text);
  return file;
}

describe("pacing on real processes", () => {
  test("pacing - two seeders of one run never commit more than cap × 10 s in any 10 s window", async () => {
    const stack = await startStack(infra, "pacing", 2);
    try {
      const seeded = await cli(stack, ["seed", "--profile", pacedProfile(), "--follow", "--json"], 120_000);
      expect(seeded.code).toBe(0);
      const run = lastJson<SeedJson>(seeded.stdout);
      const commits = await stack.db.adminSql<{ at: number; rows: number }[]>`
        SELECT (extract(epoch FROM committed_at) * 1000)::float8 AS at, row_count::int AS rows
          FROM seed.checkpoints WHERE run_id = ${run.id} ORDER BY committed_at`;
      const total = commits.reduce((sum, c) => sum + c.rows, 0);
      expect(total).toBeGreaterThan(CAP * 10);
      // Every sliding window that opens at a commit: the busiest one bounds them all.
      const busiest = Math.max(
        ...commits.map((start) =>
          commits.filter((c) => c.at >= start.at && c.at < start.at + PACING_WINDOW_MS).reduce((s, c) => s + c.rows, 0),
        ),
      );
      expect(busiest).toBeLessThanOrEqual(CAP * 10);
    } finally {
      await stack.stop();
    }
  }, 150_000);
});
