import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseManifest } from "@semente/core/manifest";
import { ensurePipelineStreams } from "@semente/platform/pipeline";
import { planBatches } from "@semente/core/pipeline";
import { startNatsCluster, type TestNatsCluster } from "../../../packages/platform/tests/nats-cluster.ts";
import { cli, counts, createE2eInfra, type E2eInfra, lastJson, ROOT, type SeedJson, startStack } from "./e2e-utils.ts";

// R8.4 / issue 15: on a three-node JetStream cluster every Semente stream and KV bucket is R3
// (NATS_REPLICAS=3), so losing one node loses nothing and the pipeline keeps seeding.
const ALFA = "configs/seed_profiles/dev/banco-alfa.yaml";

let cluster: TestNatsCluster;
let infra: E2eInfra;
const previousUrl = process.env.NATS_URL;

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  process.env.NATS_URL = cluster.url;
  infra = await createE2eInfra(["banco-alfa"]);
  infra.env.NATS_REPLICAS = "3";
}, 60_000);

afterAll(async () => {
  await infra?.cleanup();
  await cluster?.stop();
  if (previousUrl === undefined) delete process.env.NATS_URL;
  else process.env.NATS_URL = previousUrl;
}, 60_000);

async function hasLeader(name: string): Promise<boolean> {
  try {
    return Boolean((await infra.nats.jsm.streams.info(name)).cluster?.leader);
  } catch {
    // No leader yet: JetStream answers with an error until the election is over.
    return false;
  }
}

async function waitForLeaders(names: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (const name of names) {
    while (!(await hasLeader(name))) {
      if (performance.now() > deadline) throw new Error(`${name}: no leader after the node loss`);
      await Bun.sleep(250);
    }
  }
}

describe("NATS cluster", () => {
  test("nats cluster - pipeline streams made R1 before NATS_REPLICAS was raised are scaled to R3 in place", async () => {
    const options = { namePrefix: `${infra.nats.prefix}UP_`, subjectPrefix: `${infra.nats.subjectPrefix}up.` };
    const names = await ensurePipelineStreams(infra.nats.jsm, { ...options, replicas: 1 });
    expect((await infra.nats.jsm.streams.info(names.streams.baseline)).config.num_replicas).toBe(1);
    await ensurePipelineStreams(infra.nats.jsm, { ...options, replicas: 3 });
    for (const stream of [...Object.values(names.streams), names.dlq]) {
      expect((await infra.nats.jsm.streams.info(stream)).config.num_replicas).toBe(3);
    }
    for (const stream of [...Object.values(names.streams), names.dlq]) await infra.nats.jsm.streams.delete(stream);
  }, 60_000);

  test("nats cluster - every stream and bucket is R3; with one node killed the stack still seeds and verifies", async () => {
    expect(infra.env.NATS_URL?.split(",")).toHaveLength(3);
    const stack = await startStack(infra, "nats_r3", 2);
    try {
      const streams: Record<string, { replicas: number; peers: number }> = {};
      for await (const info of infra.nats.jsm.streams.list()) {
        const name = info.config.name;
        if (!name.startsWith(infra.nats.prefix) && !name.startsWith(`KV_${infra.nats.prefix}`)) continue;
        streams[name.replace(infra.nats.prefix, "")] = {
          replicas: info.config.num_replicas,
          peers: 1 + (info.cluster?.replicas?.length ?? 0),
        };
      }
      const r3 = { replicas: 3, peers: 3 };
      expect(streams).toEqual({
        SEED_RUNS: r3,
        SEED_BASELINE: r3,
        SEED_LOAD: r3,
        SEED_DR: r3,
        SEED_DLQ: r3,
        KV_SEED_SLOTS: r3,
        KV_SEED_TENANT_LEASES: r3,
      });

      await cluster.kill(1);
      // Wait for the survivors to have elected a leader for every Semente stream and bucket: the
      // loss of a node must cost a failover pause, not data or the run.
      await waitForLeaders(Object.keys(streams).map((n) => n.replace(/^(KV_)?/, `$1${infra.nats.prefix}`)));
      const seeded = await cli(stack, ["seed", "--profile", ALFA, "--follow", "--json"], 90_000);
      if (seeded.code !== 0) console.error(seeded.stdout, seeded.stderr);
      expect(seeded.code).toBe(0);
      const run = lastJson<SeedJson>(seeded.stdout);
      expect(run.state).toBe("completed");
      const plan = planBatches(parseManifest(readFileSync(join(ROOT, ALFA), "utf8")).manifest);
      expect(await counts(stack, "banco-alfa")).toEqual(plan.rowsPerEntity);
      const verify = await cli(stack, ["verify", "--profile", ALFA, "--json"]);
      expect(verify.code).toBe(0);
      expect(lastJson<{ dataset_digest: string }>(verify.stdout).dataset_digest).toBe(`sha256:${run.dataset_digest}`);
    } finally {
      await stack.stop();
    }
  }, 150_000);
});
