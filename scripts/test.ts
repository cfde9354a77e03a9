#!/usr/bin/env bun
// The test command (`bun run test`): every *.test.ts file of the repository, split into shards
// that run as parallel `bun test` processes, then one summary.
//
//   bun scripts/test.ts [--shards n] [--update-timings] [path filters…]
//
// Why shards: most of the suite waits — on PostgreSQL, NATS and the service processes the
// integration tests start — so one process leaves the machine idle for most of its time. Every
// test file already makes its own database and NATS prefix (packages/platform/tests/harness.ts),
// so files may run side by side. Files are dealt to shards longest first, by the durations in
// scripts/test-timings.json (`--update-timings` rewrites it from this run; a file not listed
// counts as 5 s).
//
// Each shard writes lcov coverage and a JUnit report under .coverage/; the line coverage of the
// shards is merged (a line is covered when any shard ran it) and printed as one table whose
// "All files" line is what .ci/run's coverage gate reads. The last lines are the summed
// " N pass" / " N fail" counts; the exit code is non-zero when any shard failed.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";

const ROOT = join(import.meta.dir, "..");
const OUT = join(ROOT, ".coverage");
const TIMINGS = join(import.meta.dir, "test-timings.json");
const UNKNOWN_FILE_S = 5;

/** Two shards per core, at most four: the shards mostly wait, but each e2e file starts processes. */
function defaultShards(): number {
  return Math.min(4, Math.max(2, availableParallelism() * 2));
}

/** Every test file, relative to the root, in a stable order. */
function testFiles(filters: readonly string[]): string[] {
  const glob = new Bun.Glob("**/*.test.ts");
  const files: string[] = [];
  for (const file of glob.scanSync({ cwd: ROOT })) {
    if (file.includes("node_modules/") || file.startsWith(".")) continue;
    if (filters.length > 0 && !filters.some((f) => file.includes(f.replace(/^\.\//, "")))) continue;
    files.push(file);
  }
  return files.sort();
}

function readTimings(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(TIMINGS, "utf8")) as Record<string, number>;
  } catch {
    return {};
  }
}

/** Longest processing time first: each file goes to the shard with the least work so far. */
export function deal(files: readonly string[], timings: Record<string, number>, shards: number): string[][] {
  const weight = (f: string) => timings[f] ?? UNKNOWN_FILE_S;
  const bins = Array.from({ length: shards }, () => ({ load: 0, files: [] as string[] }));
  for (const file of [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const bin = bins.reduce((min, b) => (b.load < min.load ? b : min));
    bin.files.push(file);
    bin.load += weight(file);
  }
  return bins.filter((b) => b.files.length > 0).map((b) => b.files.sort());
}

interface ShardResult {
  index: number;
  code: number;
  output: string;
  seconds: number;
}

async function runShard(index: number, files: string[]): Promise<ShardResult> {
  const dir = join(OUT, `shard-${index}`);
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const child = Bun.spawn(
    [
      process.execPath,
      "test",
      "--timeout",
      "60000",
      "--coverage",
      "--coverage-reporter=lcov",
      `--coverage-dir=${dir}`,
      "--reporter=junit",
      `--reporter-outfile=${join(dir, "junit.xml")}`,
      ...files.map((f) => `./${f}`),
    ],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, SEMENTE_TEST_SHARD: String(index) } },
  );
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  const seconds = (performance.now() - started) / 1000;
  const result = { index, code, output: out + err, seconds };
  // Printed whole as each shard ends, so the shards' lines do not interleave.
  console.log(`\n===== shard ${index}: ${files.length} files, exit ${code}, ${seconds.toFixed(0)} s =====`);
  console.log(result.output.trimEnd());
  return result;
}

/** Per source file: line → hit by any shard. */
type Lines = Map<string, Map<number, boolean>>;

export function mergeLcov(texts: readonly string[]): Lines {
  const merged: Lines = new Map();
  for (const text of texts) mergeOne(merged, text);
  return merged;
}

function mergeOne(merged: Lines, text: string): void {
  let current: Map<number, boolean> | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("SF:")) {
      const file = line.slice(3);
      current = merged.get(file) ?? new Map();
      merged.set(file, current);
    } else if (line.startsWith("DA:") && current) {
      const [n, hits] = line.slice(3).split(",");
      const no = Number(n);
      current.set(no, (current.get(no) ?? false) || Number(hits) > 0);
    } else if (line === "end_of_record") {
      current = undefined;
    }
  }
}

/** Uncovered line numbers as ranges ("3,7-9"). */
function ranges(lines: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j]! + 1) j++;
    out.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`);
    i = j;
  }
  return out.join(",");
}

function printCoverage(merged: Lines): void {
  const rows: string[] = [];
  let found = 0;
  let hit = 0;
  for (const file of [...merged.keys()].sort()) {
    const lines = merged.get(file)!;
    const covered = [...lines.values()].filter(Boolean).length;
    found += lines.size;
    hit += covered;
    const missing = [...lines.entries()]
      .filter(([, h]) => !h)
      .map(([n]) => n)
      .sort((a, b) => a - b);
    const pct = lines.size === 0 ? 100 : (100 * covered) / lines.size;
    rows.push(`${file.padEnd(60)} | ${pct.toFixed(2).padStart(7)} | ${ranges(missing)}`);
  }
  const total = found === 0 ? 100 : (100 * hit) / found;
  console.log(`\n${"File".padEnd(60)} | % Lines | Uncovered line #s`);
  console.log(`${"All files".padEnd(60)} | ${total.toFixed(2).padStart(7)} |`);
  for (const row of rows) console.log(row);
}

/** Seconds per test file from the shards' JUnit reports. */
function junitTimings(dirs: readonly string[]): Record<string, number> {
  const timings: Record<string, number> = {};
  for (const dir of dirs) {
    let xml: string;
    try {
      xml = readFileSync(join(dir, "junit.xml"), "utf8");
    } catch {
      continue;
    }
    // Top-level suites are files: <testsuite name="path/to/x.test.ts" … time="12.3">.
    for (const m of xml.matchAll(/<testsuite name="([^"]+\.test\.ts)"[^>]*?time="([0-9.]+)"/g)) {
      timings[relative(ROOT, join(ROOT, m[1]!))] = Math.round(Number(m[2]) * 10) / 10;
    }
  }
  return timings;
}

function count(output: string, word: "pass" | "fail"): number {
  const m = output.match(new RegExp(`^ *(\\d+) ${word}$`, "m"));
  return m ? Number(m[1]) : 0;
}

async function main(): Promise<number> {
  const { values: args, positionals: filters } = parseArgs({
    allowPositionals: true,
    options: {
      shards: { type: "string", default: process.env.SEMENTE_TEST_SHARDS ?? String(defaultShards()) },
      "update-timings": { type: "boolean", default: false },
    },
  });
  const files = testFiles(filters);
  if (files.length === 0) {
    console.error("no test file matches");
    return 1;
  }
  rmSync(OUT, { recursive: true, force: true });
  const shards = deal(files, readTimings(), Math.max(1, Number(args.shards)));
  console.log(`${files.length} test files in ${shards.length} shards`);
  const started = performance.now();
  const results = await Promise.all(shards.map((s, i) => runShard(i, s)));
  const dirs = shards.map((_, i) => join(OUT, `shard-${i}`));
  const lcov = dirs.map((d) => {
    try {
      return readFileSync(join(d, "lcov.info"), "utf8");
    } catch {
      return "";
    }
  });
  printCoverage(mergeLcov(lcov));
  if (args["update-timings"]) {
    // Files that no longer exist drop out; files this run did not select keep their last figure.
    const timings = { ...readTimings(), ...junitTimings(dirs) };
    const known = new Set(testFiles([]));
    const sorted = Object.fromEntries(
      Object.entries(timings)
        .filter(([file]) => known.has(file))
        .sort(([a], [b]) => a.localeCompare(b)),
    );
    writeFileSync(TIMINGS, `${JSON.stringify(sorted, null, 2)}\n`);
  }
  const pass = results.reduce((n, r) => n + count(r.output, "pass"), 0);
  let fail = results.reduce((n, r) => n + count(r.output, "fail"), 0);
  // A shard that died before its summary (crash, unhandled error) counts as a failure.
  for (const r of results) if (r.code !== 0 && count(r.output, "fail") === 0) fail += 1;
  const wall = (performance.now() - started) / 1000;
  console.log(
    `\nshards: ${results.map((r) => `${r.index}=${r.seconds.toFixed(0)}s`).join(" ")}; wall ${wall.toFixed(0)} s`,
  );
  console.log(`\n ${pass} pass\n ${fail} fail`);
  return results.every((r) => r.code === 0) ? 0 : 1;
}

if (import.meta.main) process.exit(await main());
