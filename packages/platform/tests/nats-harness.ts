import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../src/bus/index.ts";
import { COMMON_VARS, loadConfig } from "../src/config/index.ts";

/** A NATS connection plus names no other test file uses; `cleanup()` deletes what they made. */
export interface TestNats {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  url: string;
  /**
   * Prefix for stream and KV bucket names (`T_<slug>_<pid>_<n>_`); pass it as `bucketPrefix`
   * and prepend it to stream names.
   */
  prefix: string;
  /** Prefix for subjects (`t_<slug>_<pid>_<n>.`): streams may not share subjects. */
  subjectPrefix: string;
  /** Deletes every stream (KV buckets included) whose name carries `prefix`, then drains. */
  cleanup(): Promise<void>;
}

let counter = 0;

/** The NATS URL tests use (NATS_URL, default nats://127.0.0.1:4222). */
export function natsUrl(): string {
  return loadConfig({ NATS_URL: COMMON_VARS.NATS_URL }).NATS_URL.join(",");
}

async function deletePrefixed(jsm: JetStreamManager, prefix: string): Promise<void> {
  const names: string[] = [];
  for await (const name of jsm.streams.names()) {
    if (name.startsWith(prefix) || name.startsWith(`KV_${prefix}`)) names.push(name);
  }
  await Promise.all(names.map((name) => jsm.streams.delete(name)));
}

/** Connects and reserves a unique prefix for one test file (call `cleanup()` in `afterAll`). */
export async function createTestNats(slug: string): Promise<TestNats> {
  counter += 1;
  const safe = slug.toLowerCase().replace(/[^a-z0-9]/g, "_");
  const id = `${safe}_${process.pid}_${counter}`;
  const url = natsUrl();
  const nc = await connectNats({ servers: url, name: `semente-test-${id}` });
  const jsm = await jetstreamManager(nc);
  const prefix = `T_${id}_`;
  // A crashed earlier run with the same pid may have left streams behind.
  await deletePrefixed(jsm, prefix);
  return {
    nc,
    js: jetstream(nc),
    jsm,
    url,
    prefix,
    subjectPrefix: `t_${id}.`,
    async cleanup() {
      try {
        await deletePrefixed(jsm, prefix);
      } finally {
        await nc.drain();
      }
    },
  };
}
