#!/usr/bin/env bun
// Hostile-manifest benchmark (issue 10): boots the gateway on a real port, then, from a separate
// client process, polls /healthz while concurrent loops post a ~900 KB manifest of unknown keys:
//   phase "idle"      /healthz alone
//   phase "stranger"  the big manifest from a `read` token of an unrelated tenant (refused by role, body unread)
//   phase "admin"     the same manifest from admin tokens (one per poster): read, parsed and validated (422) on the worker pool
// and prints the /healthz latency and the hostile requests' latency and statuses per phase.
// Usage: bun bench/gateway-hostile.ts [--seconds 5] [--concurrency 4] [--workers N (GATEWAY_PARSE_WORKERS)]
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { bootGateway } from "./gateway-boot.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    concurrency: { type: "string" },
    workers: { type: "string" },
    client: { type: "string" },
    stranger: { type: "string" },
    admin: { type: "string" },
  },
});
const seconds = Number(values.seconds ?? "5");
const concurrency = Number(values.concurrency ?? "4");

interface Phase {
  phase: string;
  health: number[];
  hostile: number[];
  statuses: Record<string, number>;
  bodyBytes: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function hostileBody(): string {
  const base = readFileSync(resolve(import.meta.dir, "../configs/seed_profiles/dev/banco-alfa.yaml"), "utf8");
  const lines: string[] = [];
  let size = base.length;
  for (let i = 0; size < 900_000; i++) {
    const line = `unknown_key_${i}: ${i}`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${base}\n${lines.join("\n")}\n`;
}

/** One phase: /healthz polled sequentially while `concurrency` loops post the body (none in "idle"). */
async function phase(base: string, name: string, tokens: string[], body: string): Promise<Phase> {
  const result: Phase = { phase: name, health: [], hostile: [], statuses: {}, bodyBytes: body.length };
  const deadline = performance.now() + seconds * 1000;
  let n = 0;
  const attacker = async (token: string) => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const res = await fetch(`${base}/api/v1/seed-runs`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/yaml",
          "Idempotency-Key": `h-${name}-${n++}`,
        },
        // A different trailing comment each time: no cached parse.
        body: `${body}# ${n}\n`,
      });
      await res.arrayBuffer();
      result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
      result.hostile.push(performance.now() - started);
    }
  };
  const prober = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const res = await fetch(`${base}/healthz`);
      await res.arrayBuffer();
      result.health.push(performance.now() - started);
      await Bun.sleep(10);
    }
  };
  await Promise.all([prober(), ...tokens.map(attacker)]);
  return result;
}

async function client(base: string, stranger: string, admins: string[]): Promise<Phase[]> {
  const body = hostileBody();
  return [
    await phase(base, "idle", [], body),
    await phase(base, "stranger", Array(concurrency).fill(stranger), body),
    await phase(base, "admin", admins.slice(0, concurrency), body),
  ];
}

async function server(): Promise<void> {
  const gateway = await bootGateway(
    "bench_gw_hostile",
    values.workers === undefined ? {} : { GATEWAY_PARSE_WORKERS: values.workers },
  );
  try {
    const stranger = await gateway.token({
      subject: "stranger",
      roles: ["read"],
      tenants: ["banco-zeta"],
      environments: ["dev"],
    });
    // One admin token per poster: a single token may only have two parses in flight.
    const admins = await Promise.all(
      Array.from({ length: concurrency }, (_, i) =>
        gateway.token({ subject: `admin-${i}`, roles: ["admin"], tenants: ["*"], environments: ["*"] }),
      ),
    );
    const args = [
      "--client",
      gateway.base,
      "--stranger",
      stranger,
      "--admin",
      admins.join(","),
      "--seconds",
      String(seconds),
    ];
    const proc = Bun.spawn(["bun", import.meta.path, ...args, "--concurrency", String(concurrency)], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const output = await new Response(proc.stdout).text();
    if ((await proc.exited) !== 0) throw new Error("bench client failed");
    const phases = JSON.parse(output) as Phase[];
    console.log(
      `hostile manifest ${(phases[0]?.bodyBytes ?? 0) / 1000} KB, ${concurrency} concurrent posters, ${seconds} s per phase, ` +
        `parse workers ${values.workers ?? "default"}`,
    );
    for (const p of phases) {
      const health = [...p.health].sort((a, b) => a - b);
      const hostile = [...p.hostile].sort((a, b) => a - b);
      const statuses = Object.entries(p.statuses)
        .map(([s, c]) => `${c}×${s}`)
        .join(" ");
      console.log(
        `${p.phase.padEnd(9)} /healthz n=${health.length} p50 ${pct(health, 50).toFixed(1)} ms p99 ${pct(health, 99).toFixed(1)} ms max ${pct(health, 100).toFixed(1)} ms` +
          (hostile.length === 0
            ? ""
            : ` | posts ${statuses} p50 ${pct(hostile, 50).toFixed(0)} ms max ${pct(hostile, 100).toFixed(0)} ms`),
      );
    }
  } finally {
    await gateway.stop();
  }
}

if (values.client !== undefined) {
  console.log(JSON.stringify(await client(values.client, values.stranger ?? "", (values.admin ?? "").split(","))));
} else {
  await server();
}
