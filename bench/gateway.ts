#!/usr/bin/env bun
// Gateway validate benchmark: boots the gateway on a real port over a throwaway database and NATS
// prefix, drives POST /api/v1/seed-profiles/validate from concurrent fetch loops in a separate client
// process (so the figure is not shared with the server's CPU), and prints the throughput (req/s) and
// latency percentiles.
// Usage: bun bench/gateway.ts [--seconds 10] [--concurrency 32] [--unique] [--in-process]
//   --unique      every request carries a different body (a trailing YAML comment), so no parse is cached
//   --in-process  run the client loops inside the server process (the figure before the split)
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { bootGateway } from "./gateway-boot.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    concurrency: { type: "string" },
    unique: { type: "boolean" },
    "in-process": { type: "boolean" },
    client: { type: "string" },
    token: { type: "string" },
  },
});
const seconds = Number(values.seconds ?? "10");
const concurrency = Number(values.concurrency ?? "32");
const manifest = readFileSync(resolve(import.meta.dir, "../configs/seed_profiles/dev/banco-alfa.yaml"), "utf8");

interface ClientResult {
  requests: number;
  elapsedS: number;
  failures: number;
  p50: number;
  p95: number;
  p99: number;
}

/** The load loops: `concurrency` workers posting until the deadline. */
async function drive(url: string, token: string): Promise<ClientResult> {
  const latencies: number[] = [];
  let failures = 0;
  let n = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const i = n++;
      const started = performance.now();
      const res = await fetch(url, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/yaml", "Idempotency-Key": `b-${i}` },
        body: values.unique ? `${manifest}\n# request ${i}\n` : manifest,
      });
      await res.arrayBuffer();
      if (res.status !== 200) failures += 1;
      latencies.push(performance.now() - started);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedS = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { requests: latencies.length, elapsedS, failures, p50: pct(50), p95: pct(95), p99: pct(99) };
}

async function server(): Promise<void> {
  const gateway = await bootGateway("bench_gw");
  try {
    const url = `${gateway.base}/api/v1/seed-profiles/validate`;
    const token = await gateway.token({ subject: "bench", roles: ["admin"], tenants: ["*"], environments: ["*"] });
    let result: ClientResult;
    const cpuBefore = process.cpuUsage();
    if (values["in-process"]) {
      result = await drive(url, token);
    } else {
      const args = [
        "--client",
        url,
        "--token",
        token,
        "--seconds",
        String(seconds),
        "--concurrency",
        String(concurrency),
      ];
      const client = Bun.spawn(["bun", import.meta.path, ...args, ...(values.unique ? ["--unique"] : [])], {
        stdout: "pipe",
        stderr: "inherit",
      });
      const output = await new Response(client.stdout).text();
      if ((await client.exited) !== 0) throw new Error("bench client failed");
      result = JSON.parse(output) as ClientResult;
    }
    const cpu = process.cpuUsage(cpuBefore);
    const where = values["in-process"] ? "client in the server process" : "client in its own process";
    console.log(
      `validate: ${result.requests} requests in ${result.elapsedS.toFixed(1)} s, concurrency ${concurrency}, ` +
        `${values.unique ? "unique bodies" : "one body"}, ${where}, ${result.failures} non-200`,
    );
    console.log(`throughput ${(result.requests / result.elapsedS).toFixed(0)} req/s`);
    // CPU per request is steadier than req/s on a shared machine; in-process it includes the client.
    console.log(`server process CPU ${((cpu.user + cpu.system) / 1000 / result.requests).toFixed(2)} ms per request`);
    console.log(
      `latency p50 ${result.p50.toFixed(1)} ms · p95 ${result.p95.toFixed(1)} ms · p99 ${result.p99.toFixed(1)} ms`,
    );
  } finally {
    await gateway.stop();
  }
}

if (values.client !== undefined) {
  console.log(JSON.stringify(await drive(values.client, values.token ?? "")));
} else {
  await server();
}
