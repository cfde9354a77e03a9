import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, createBrokerWatch } from "../../src/bus/index.ts";
import { natsProbe } from "../../src/telemetry/index.ts";
import { type OwnNats, startOwnNats } from "../own-nats.ts";

let own: OwnNats;
let nc: NatsConnection;

beforeAll(async () => {
  own = await startOwnNats();
  nc = await connectNats({ servers: own.url, name: "broker-watch-test" });
});
afterAll(async () => {
  await nc.close();
  await own.cleanup();
});

describe("broker watch", () => {
  test("broker watch - reports a real outage only past the bound, on every check, then once restored", async () => {
    let clock = 0;
    const lost: number[] = [];
    const restored: number[] = [];
    const watch = createBrokerWatch({
      probe: natsProbe(nc),
      boundMs: 1_000,
      intervalMs: 500,
      now: () => clock,
      onLost: async (ms) => void lost.push(ms),
      onRestored: async (ms) => void restored.push(ms),
    });
    await watch.check();
    expect(watch.downForMs()).toBeNull();
    await own.stop();
    await watch.check();
    expect(watch.downForMs()).toBe(0);
    clock = 999;
    await watch.check();
    expect(lost).toEqual([]);
    clock = 1_000;
    await watch.check();
    clock = 1_500;
    await watch.check();
    expect(lost).toEqual([1_000, 1_500]);
    await own.restart();
    for (let i = 0; i < 100 && restored.length === 0; i++) {
      await watch.check();
      if (restored.length === 0) await Bun.sleep(100);
    }
    expect(restored).toEqual([1_500]);
    expect(watch.downForMs()).toBeNull();
  }, 30_000);

  test("broker watch - a short outage under the bound reports nothing", async () => {
    let clock = 0;
    let calls = 0;
    let answering = false;
    const watch = createBrokerWatch({
      probe: () => (answering ? Promise.resolve() : Promise.reject(new Error("down"))),
      boundMs: 1_000,
      now: () => clock,
      onLost: async () => void calls++,
      onRestored: async () => void calls++,
    });
    await watch.check();
    clock = 900;
    await watch.check();
    answering = true;
    await watch.check();
    expect(calls).toBe(0);
    watch.start();
    await watch.stop();
  });
});
