#!/usr/bin/env bun
// Gateway validate benchmark: boots the gateway on a real port over a throwaway database and NATS
// prefix, drives POST /api/v1/seed-profiles/validate from concurrent fetch loops, and prints the
// throughput (req/s) and latency percentiles. Usage: bun bench/gateway.ts [--seconds 10] [--concurrency 32]
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { mintToken } from "../packages/shared/src/auth/index.ts";
import { ensureRunEventsStream } from "../packages/shared/src/bus/index.ts";
import { createSql } from "../packages/shared/src/db/index.ts";
import { createLogger } from "../packages/shared/src/telemetry/index.ts";
import { runEventsFor, testAdmission } from "../packages/shared/tests/bus/admission-helpers.ts";
import { createTestDatabase } from "../packages/shared/tests/harness.ts";
import { createTestNats } from "../packages/shared/tests/nats-harness.ts";
import { createGateway } from "../services/gateway/src/app.ts";
import { loadGatewayConfig } from "../services/gateway/src/config.ts";

const { values } = parseArgs({ options: { seconds: { type: "string" }, concurrency: { type: "string" } } });
const seconds = Number(values.seconds ?? "10");
const concurrency = Number(values.concurrency ?? "32");
const secret = new TextEncoder().encode(crypto.randomUUID() + crypto.randomUUID());
const keys = { secret, issuer: "semente", audience: "semente-gateway" };
const manifest = readFileSync(resolve(import.meta.dir, "../configs/seed_profiles/dev/banco-alfa.yaml"), "utf8");

const db = await createTestDatabase("bench_gw");
const nats = await createTestNats("bench_gw");
try {
  await ensureRunEventsStream(nats.jsm, runEventsFor(nats));
  const admission = await testAdmission(db, nats, { holderId: "bench", scope: "bench" });
  const { gateway: config } = loadGatewayConfig({
    GATEWAY_RATE_LIMIT_PRINCIPAL: "100000000",
    GATEWAY_RATE_LIMIT_TENANT: "100000000",
  });
  // The harness pools hold 4 connections; a gateway replica runs with the production default.
  const sql = createSql(db.urls.app, { max: 10 });
  const gateway = await createGateway({
    sql,
    nc: nats.nc,
    admission,
    keys,
    log: createLogger({ service: "gateway", level: "warn" }),
    config,
    events: runEventsFor(nats),
  });
  const server = gateway.app.listen({ port: 0 });
  const url = `http://127.0.0.1:${server.server?.port}/api/v1/seed-profiles/validate`;
  const token = await mintToken(keys, {
    subject: "bench",
    roles: ["admin"],
    tenants: ["*"],
    environments: ["*"],
    ttlSeconds: 3600,
    issuedAt: Math.floor(Date.now() / 1000),
  });
  const latencies: number[] = [];
  let failures = 0;
  let n = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const res = await fetch(url, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/yaml",
          "Idempotency-Key": `b-${n++}`,
        },
        body: manifest,
      });
      await res.arrayBuffer();
      if (res.status !== 200) failures += 1;
      latencies.push(performance.now() - started);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  console.log(
    `validate: ${latencies.length} requests in ${elapsed.toFixed(1)} s, concurrency ${concurrency}, ${failures} non-200`,
  );
  console.log(`throughput ${(latencies.length / elapsed).toFixed(0)} req/s`);
  console.log(`latency p50 ${pct(50).toFixed(1)} ms · p95 ${pct(95).toFixed(1)} ms · p99 ${pct(99).toFixed(1)} ms`);
  await server.stop();
  await admission.stop();
  await sql.end();
} finally {
  await nats.cleanup();
  await db.drop();
}
