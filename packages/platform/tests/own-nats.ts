import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** A nats-server process of one test file (never the shared one on 4222), stoppable and restartable. */
export interface OwnNats {
  url: string;
  port: number;
  /** Graceful stop (SIGTERM: JetStream flushes its store first). */
  stop(): Promise<void>;
  /** Starts it again on the same port and store directory. */
  restart(): Promise<void>;
  /** Stops it and removes its store. */
  cleanup(): Promise<void>;
}

function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(null) });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

async function listening(port: number, timeoutMs: number): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    try {
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      socket.end();
      return;
    } catch (error) {
      // Not listening yet.
      if (!(error instanceof Error)) throw error;
    }
    await Bun.sleep(50);
  }
  throw new Error(`nats-server not listening on ${port}`);
}

/** Starts `/usr/sbin/nats-server -js` on a free port with its own store directory. */
export async function startOwnNats(binary = "/usr/sbin/nats-server"): Promise<OwnNats> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "semente-own-nats-"));
  let proc: Subprocess | undefined;
  const spawn = async () => {
    proc = Bun.spawn([binary, "-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir], {
      stdout: "ignore",
      stderr: "ignore",
    });
    await listening(port, 10_000);
  };
  const stop = async () => {
    if (proc === undefined || proc.exitCode !== null) return;
    proc.kill("SIGTERM");
    await Promise.race([proc.exited, Bun.sleep(5_000)]);
    if (proc.exitCode === null) proc.kill("SIGKILL");
    await proc.exited;
  };
  await spawn();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop,
    restart: spawn,
    async cleanup() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
