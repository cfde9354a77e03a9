import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { connectNats, natsOptionsFromVars } from "../../src/bus/index.ts";
import { loadConfig, NATS_VARS } from "../../src/config/index.ts";
import { NATS_SERVER_BIN } from "../nats-cluster.ts";

// A password-protected nats-server of our own (never the shared one on 4222).
let server: Subprocess;
let url: string;
let dir: string;

beforeAll(async () => {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  dir = mkdtempSync(join(tmpdir(), "semente-nats-auth-"));
  server = Bun.spawn(
    [NATS_SERVER_BIN, "-a", "127.0.0.1", "-p", String(port), "--user", "semente", "--pass", "s3cret-pw", "-sd", dir],
    {
      stdout: "ignore",
      stderr: "ignore",
    },
  );
  url = `nats://127.0.0.1:${port}`;
  const listening = () =>
    Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
      (socket) => {
        socket.end();
        return true;
      },
      () => false,
    );
  for (let i = 0; i < 50; i++) {
    if (await listening()) return;
    await Bun.sleep(100);
  }
  throw new Error("nats-server did not start");
});

afterAll(async () => {
  server.kill("SIGTERM");
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
});

describe("NATS authentication", () => {
  test("nats auth - NATS_USER/NATS_PASSWORD connect; without them, or with a wrong password, the broker is refused", async () => {
    const good = loadConfig(NATS_VARS, { NATS_URL: url, NATS_USER: "semente", NATS_PASSWORD: "s3cret-pw" });
    const nc = await connectNats(natsOptionsFromVars(good, "auth-test"));
    expect(nc.info?.auth_required).toBe(true);
    await nc.close();
    for (const env of [{ NATS_URL: url }, { NATS_URL: url, NATS_USER: "semente", NATS_PASSWORD: "wrong" }]) {
      const error = await connectNats({
        ...natsOptionsFromVars(loadConfig(NATS_VARS, env), "auth-test"),
        timeoutMs: 1_000,
      }).catch((e: Error) => e);
      expect((error as { code?: string }).code).toBe("UNAVAILABLE");
      expect(String((error as Error).message)).not.toContain("wrong");
    }
  });
});
