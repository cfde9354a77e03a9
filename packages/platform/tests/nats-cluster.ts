import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** The machine's nats-server binary (never the shared server on 4222: every node gets its own ports). */
export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? "/usr/sbin/nats-server";

/** One node of a throwaway cluster. */
export interface ClusterNode {
  name: string;
  clientPort: number;
  monitorPort: number;
  proc: Subprocess;
}

/** A three-node JetStream cluster of our own, on free ports with temporary store directories. */
export interface TestNatsCluster {
  nodes: ClusterNode[];
  /** Comma-separated client URLs of every node (what NATS_URL gets). */
  url: string;
  /** SIGKILLs one node (as a crash would). */
  kill(index: number): Promise<void>;
  stop(): Promise<void>;
}

function freePorts(n: number): number[] {
  const servers = Array.from({ length: n }, () =>
    Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }),
  );
  const ports = servers.map((s) => s.port);
  for (const s of servers) s.stop(true);
  return ports;
}

async function waitHealthy(node: ClusterNode, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (node.proc.exitCode !== null) throw new Error(`${node.name} exited with ${node.proc.exitCode}`);
    try {
      // Healthy and a JetStream meta leader elected: before that every stream request fails.
      const r = await fetch(`http://127.0.0.1:${node.monitorPort}/jsz`, { signal: AbortSignal.timeout(1_000) });
      const jsz = (await r.json()) as { meta_cluster?: { leader?: string; cluster_size?: number } };
      if (r.status === 200 && jsz.meta_cluster?.leader) return;
    } catch (error) {
      // Not listening yet.
      if (!(error instanceof Error)) throw error;
    }
    await Bun.sleep(200);
  }
  throw new Error(`${node.name} not healthy after ${timeoutMs} ms`);
}

/** Starts `size` nats-server processes routed into one JetStream cluster and waits for all to be healthy. */
export async function startNatsCluster(size = 3, timeoutMs = 30_000): Promise<TestNatsCluster> {
  const ports = freePorts(size * 3);
  const dir = mkdtempSync(join(tmpdir(), "semente-nats-cluster-"));
  const routePorts = ports.slice(size, 2 * size);
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
  const nodes: ClusterNode[] = Array.from({ length: size }, (_, i) => {
    const name = `semente-test-n${i + 1}`;
    const clientPort = ports[i] as number;
    const routePort = routePorts[i] as number;
    const monitorPort = ports[2 * size + i] as number;
    const proc = Bun.spawn(
      [
        NATS_SERVER_BIN,
        "-a",
        "127.0.0.1",
        "-p",
        String(clientPort),
        "-m",
        String(monitorPort),
        "-js",
        "-sd",
        join(dir, name),
        "--server_name",
        name,
        "--cluster_name",
        "semente-test",
        "--cluster",
        `nats://127.0.0.1:${routePort}`,
        "--routes",
        routes,
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    return { name, clientPort, monitorPort, proc };
  });
  const cluster: TestNatsCluster = {
    nodes,
    url: nodes.map((n) => `nats://127.0.0.1:${n.clientPort}`).join(","),
    async kill(index) {
      const node = nodes[index] as ClusterNode;
      node.proc.kill("SIGKILL");
      await node.proc.exited;
    },
    async stop() {
      for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill("SIGTERM");
      await Promise.race([Promise.all(nodes.map((n) => n.proc.exited)), Bun.sleep(5_000)]);
      for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map((n) => waitHealthy(n, timeoutMs)));
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
