#!/usr/bin/env bun
// `semente seed --follow` on a run longer than 3 minutes under the DEFAULT gateway rate limits
// (issue 16 acceptance: follows it to completion without a 429).
//
//   bun bench/follow-long.ts [--target 15] [--batch-size 100]
//
// Starts gateway, planner and one seeder as real processes (services/planner/tests/e2e-utils.ts) on a
// throwaway database and NATS prefix, with no GATEWAY_RATE_LIMIT_* override (120 requests a minute
// per token), seeds the dev banco-alfa profile paced by its rate_limit (target_rows_per_second =
// --target, so about rows / target seconds; the SLO floor lowered to 1 row/s so the gate lets it run), follows it with `semente seed --follow --json`, and
// prints the run duration, the CLI's exit code, the HTTP requests the CLI made (from the gateway's
// request log: every authenticated request there is the CLI's) and whether any 429 was answered.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseManifest, plannedRows } from "../packages/core/src/manifest/index.ts";
import { pacingPlan } from "../packages/core/src/pipeline/index.ts";
import { cli, createE2eInfra, lastJson, ROOT, type SeedJson, startStack } from "../services/planner/tests/e2e-utils.ts";

const { values: args } = parseArgs({
  options: {
    target: { type: "string", default: "15" },
    "batch-size": { type: "string", default: "100" },
  },
});
const target = Number(args.target);
const source = readFileSync(join(ROOT, "configs/seed_profiles/dev/banco-alfa.yaml"), "utf8");
const yaml = source
  .replace(/target_rows_per_second: \d+/, `target_rows_per_second: ${target}`)
  .replace(/cap_rows_per_second: \d+/, `cap_rows_per_second: ${target * 2}`)
  .replace(/^batch_size: \d+$/m, `batch_size: ${Number(args["batch-size"])}`)
  // The SLO gate would abort a run paced below its floor.
  .replace(/min_rows_per_second: \d+/, "min_rows_per_second: 1")
  // A paced run costs more (its estimate grows with its duration).
  .replace(/max_cost: [\d.]+/, "max_cost: 5");
const manifest = parseManifest(yaml).manifest;
const rows = plannedRows(manifest).total;
// The planner's release rate: the target, lowered when a batch in flight plus a burst would break the cap.
const paced = pacingPlan({
  targetRowsPerSecond: manifest.rate_limit.target_rows_per_second,
  capRowsPerSecond: manifest.rate_limit.cap_rows_per_second,
  batchRows: manifest.batch_size,
  maxInFlight: 1,
}).rowsPerSecond;

interface RequestLine {
  msg?: string;
  route?: string;
  method?: string;
  status?: number;
  principal?: string;
}

/** The gateway's request log lines of authenticated callers (the CLI is the only one here). */
function cliRequests(logDir: string): RequestLine[] {
  const lines = readFileSync(join(logDir, "gateway.log"), "utf8").split("\n").filter(Boolean);
  return lines
    .map((l) => JSON.parse(l) as RequestLine)
    .filter((l) => l.msg === "request" && l.principal !== undefined && l.principal !== "anonymous");
}

const infra = await createE2eInfra(["banco-alfa"]);
let exitCode = 0;
try {
  const stack = await startStack(infra, "follow_long", 1);
  try {
    const file = join(stack.logDir, "banco-alfa-paced.yaml");
    writeFileSync(file, yaml);
    console.log(
      `manifest: dev banco-alfa, ${rows} rows, target ${target} rows/s, paced at ${paced} rows/s (≈ ${Math.round(rows / paced)} s)`,
    );
    const started = performance.now();
    const result = await cli(stack, ["seed", "--profile", file, "--follow", "--json"], 20 * 60_000);
    const seconds = (performance.now() - started) / 1000;
    const requests = cliRequests(stack.logDir);
    const byRoute = new Map<string, number>();
    for (const r of requests) byRoute.set(`${r.method} ${r.route}`, (byRoute.get(`${r.method} ${r.route}`) ?? 0) + 1);
    let state = "unknown";
    try {
      state = lastJson<SeedJson>(result.stdout).state;
    } catch {
      console.error(result.stderr.trim());
    }
    console.log(`run state: ${state}`);
    console.log(`run duration (submit to the CLI's exit): ${seconds.toFixed(1)} s`);
    console.log(`CLI exit code: ${result.code}`);
    console.log(`HTTP requests the CLI made: ${requests.length}`);
    for (const [route, n] of byRoute) console.log(`  ${route}: ${n}`);
    console.log(`429 seen: ${requests.some((r) => r.status === 429) ? "yes" : "no"}`);
    if (result.code !== 0 || seconds < 180) exitCode = 1;
  } finally {
    await stack.stop();
  }
} finally {
  await infra.cleanup();
}
process.exit(exitCode);
