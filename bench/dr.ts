#!/usr/bin/env bun
// DR drill of the perf profile (issue 11, "Scale and speed"): RTO, RPO, rows/s per phase and the
// seeders' (and the planner's) peak memory, on a throwaway database and NATS prefix.
//
//   bun bench/dr.ts [--scale 1.7] [--batch-size 10000] [--seeders 2] [--parallelism 3] [--verify-lanes 2]
//                   [--rto-target-s 300] [--timeout-s 3600]
//
// The perf profile (configs/seed_profiles/perf/banco-alfa.yaml) with every count divided by
// --scale (1.7 gives ≥ 10,000,000 rows) in dr mode, with dr_targets.rto_seconds = --rto-target-s.
// The SLO gate is opened and the release pacing lifted, as in every throughput bench
// (bench/throughput-manifest.ts): the bench measures how fast a drill can go on this machine. A
// real drill of the perf profile is also paced by its rate limit (cap 40,000 rows/s). Starts a Vault-speaking key server, the planner and --seeders seeders as real processes, seeds
// the dataset once (a plain dr run: what the drill will lose), then runs the drill as a dr_drill
// run — loss recorded, purge, regeneration, verification of every row as semente_verifier inside
// the run — and signs its evidence in-process (evidence service code, filesystem WORM), verifies
// the signature, and prints the report's RTO and RPO with the phase timings from seed.dr_drills.
// Peak RSS is VmHWM of /proc/<pid>/status; "flat" compares the mean VmRSS of the first and last
// third of the drill's samples. Everything is stopped and the database dropped at the end.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createEvidenceService, createFsWormStore, verifyEvidence } from "../packages/platform/src/evidence/index.ts";
import { createVaultTransitKeyProvider } from "../packages/platform/src/keys/index.ts";
import { readDrill } from "../packages/platform/src/lifecycle/index.ts";
import { plannedRows } from "../packages/core/src/manifest/index.ts";
import { createLogger } from "../packages/platform/src/telemetry/index.ts";
import { startVaultServer } from "../packages/platform/tests/keys/vault-server.ts";
import { createBenchDatabase } from "./bench-database.ts";
import { drBenchManifest, startDrStack, waitRun } from "./dr-stack.ts";
import { countCollections, type MemoryReport } from "./throughput-stack.ts";

const { values: args } = parseArgs({
  options: {
    scale: { type: "string", default: "1.7" },
    "batch-size": { type: "string", default: "10000" },
    seeders: { type: "string", default: "2" },
    parallelism: { type: "string", default: "3" },
    "verify-lanes": { type: "string", default: "2" },
    "rto-target-s": { type: "string", default: "300" },
    "timeout-s": { type: "string", default: "3600" },
  },
});
const manifest = {
  ...drBenchManifest(Number(args.scale), Number(args["batch-size"])),
  dr_targets: { rto_seconds: Number(args["rto-target-s"]) },
};
const rows = plannedRows(manifest).total;
const fmt = (n: number) => Math.round(n).toLocaleString("en");
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const timeoutMs = Number(args["timeout-s"]) * 1000;
const interrupt = new AbortController();
process.on("SIGINT", () => interrupt.abort());
process.on("SIGTERM", () => interrupt.abort());

const db = await createBenchDatabase(`semente_bench_dr_${process.pid}`);
const vault = startVaultServer();
vault.createKey(`semente-fpe-perf-${manifest.metadata.tenant}`);
vault.createKey("semente-evidence-perf", "ed25519");
const keys = createVaultTransitKeyProvider({ endpoint: vault.url, token: vault.token });
let exitCode = 0;
try {
  console.log(
    `DR drill bench: perf profile ÷ ${args.scale} in dr mode, ${fmt(rows)} rows, batch ${args["batch-size"]}, ${args.seeders} seeders, parallelism ${args.parallelism}, verification lanes ${args["verify-lanes"]}`,
  );
  const stack = await startDrStack({
    urls: db.urls,
    vault,
    seeders: Number(args.seeders),
    env: { PLANNER_PARALLELISM: args.parallelism, PLANNER_VERIFY_LANES: args["verify-lanes"] },
  });
  try {
    const seedStart = performance.now();
    const seedId = await stack.submit(manifest, "seed");
    const seeded = await waitRun(stack, seedId, timeoutMs, interrupt.signal);
    const seedMs = performance.now() - seedStart;
    console.log(
      `seed (the dataset the drill loses): ${seeded.state} in ${secs(seedMs)}, ${fmt(rows / (seedMs / 1000))} rows/s`,
    );
    if (seeded.state !== "completed") throw new Error(`the seed run ended ${seeded.state} (${seeded.reason})`);

    const samplers = stack.sample();
    const drillStart = performance.now();
    const drillId = await stack.submit(manifest, "dr_drill");
    let warmed = false;
    const drill = await waitRun(stack, drillId, timeoutMs, interrupt.signal, (written) => {
      if (!warmed && written >= rows / 10) {
        warmed = true;
        for (const { sampler } of samplers) sampler.warm();
      }
    });
    const wallMs = performance.now() - drillStart;
    const memory = samplers.map(({ name, sampler }) => ({ name, report: sampler.stop() }));
    console.log(
      `drill run ${drillId}: ${drill.state}${drill.reason === null ? "" : ` (${drill.reason})`}, wall ${secs(wallMs)} from submit`,
    );
    await report(stack.app, drillId, memory, stack.logDir);
  } finally {
    await stack.stop();
  }
} catch (error) {
  exitCode = 1;
  console.error(`bench failed: ${(error as Error).message}`);
} finally {
  await vault.stop();
  await db.drop();
}
process.exit(exitCode);

async function report(
  app: Parameters<typeof readDrill>[0],
  runId: string,
  memory: { name: string; report: MemoryReport }[],
  logDir: string,
): Promise<void> {
  if ((await readDrill(app, runId)) === null) throw new Error("the drill recorded no loss");
  const service = createEvidenceService({
    sql: app,
    store: createFsWormStore({ dir: mkdtempSync(join(tmpdir(), "semente-bench-dr-worm-")) }),
    keys,
    log: createLogger({ service: "bench-dr", level: "silent", destination: { write: () => undefined } }),
  });
  const stored = await service.produce(runId);
  if (stored.status !== "stored") throw new Error(`evidence not stored: ${stored.status}`);
  const bytes = new Uint8Array(readFileSync(fileURLToPath(stored.entry.location)));
  const publicKey = await keys.publicKey({ environment: "perf", tenant: manifest.metadata.tenant });
  const { report: signed } = await verifyEvidence({ bytes, publicKey, index: stored.entry, sql: app });
  const dr = signed.dr;
  if (dr === undefined) throw new Error("the signed report has no dr section");
  const at = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));
  const phase = (name: string, from: string | null, to: string | null, n: number | null) => {
    const ms = at(to) - at(from);
    console.log(
      `  ${name.padEnd(12)} ${secs(ms).padStart(9)}  ${fmt(n ?? 0).padStart(12)} rows  ${fmt((n ?? 0) / (ms / 1000)).padStart(9)} rows/s`,
    );
  };
  console.log(`signed report ${stored.entry.location} (signature and dr section verified)`);
  phase("purge", dr.loss_at, dr.purged_at, dr.rows_purged);
  phase("regenerate", dr.purged_at, dr.regenerated_at, rows);
  phase("verify", dr.regenerated_at, dr.verified_at, dr.verification?.rows_compared ?? null);
  console.log(
    `RTO ${dr.rto_seconds ?? "-"} s (target ${dr.targets?.rto_seconds} s), RPO ${dr.rpo_seconds ?? "-"} s (target ${dr.targets?.rpo_seconds} s)`,
  );
  console.log(`RPO basis: ${dr.rpo_basis}`);
  const item = signed.checklist.find((c) => c.id === "dr");
  console.log(`dr item: ${item?.status}: ${item?.summary}`);
  for (const { name, report: m } of memory) {
    const growth = m.firstThird === 0 ? 0 : ((m.lastThird - m.firstThird) / m.firstThird) * 100;
    const collections = name.startsWith("seeder")
      ? `, ${countCollections(join(logDir, `${name}.log`))} collections past SEEDER_GC_RSS_MIB`
      : "";
    console.log(
      `  ${name.padEnd(9)} peak RSS (VmHWM) ${mib(m.peak)}; after warm-up VmRSS ${mib(m.warmMin)}–${mib(m.warmMax)}, first→last third ${mib(m.firstThird)}→${mib(m.lastThird)} (${growth.toFixed(1)} %), ${m.samples} samples${collections}`,
    );
  }
}
