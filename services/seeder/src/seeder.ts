import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { MemoryGovernor, PipelineMode, PipelineNames } from "@semente/platform/pipeline";
import type { Logger } from "@semente/platform/telemetry";
import type { BatchHandler } from "./handlers/batch.ts";

/** Options of {@link createSeeder}. */
export interface SeederOptions {
  js: JetStreamClient;
  names: PipelineNames;
  /** Modes whose durable consumers this process pulls from. */
  modes: readonly PipelineMode[];
  handler: BatchHandler;
  log: Logger;
  /**
   * Batches pulled per request and handled at once by this process (generation of one overlaps
   * the commit of another); every process shares the same durable consumer.
   * @default 1
   */
  maxMessages?: number;
  /** Checked after every delivery handled: collects garbage once the process is over its limit. */
  memory?: MemoryGovernor;
}

/** The pull loops of one seeder process. */
export interface Seeder {
  /** Binds to the consumers and starts one loop per mode. */
  start(): Promise<void>;
  /**
   * Stops pulling, lets the batch in hand finish (it is acked or nak'ed), naks anything already
   * buffered, and resolves once every loop has ended.
   */
  stop(): Promise<void>;
  /** True between `start()` and `stop()`. */
  readonly running: boolean;
  /** Batches being handled right now. */
  readonly inFlight: number;
}

/** Builds the seeder: one `consumer.consume()` loop per mode over the shared durable consumer. */
export function createSeeder(options: SeederOptions): Seeder {
  const maxMessages = options.maxMessages ?? 1;
  const iterators: ConsumerMessages[] = [];
  const loops: Promise<void>[] = [];
  let stopping = false;
  let started = false;
  let inFlight = 0;

  async function handle(mode: PipelineMode, m: JsMsg): Promise<void> {
    inFlight++;
    try {
      await options.handler(m);
    } catch (error) {
      // The handler settles every delivery itself; reaching here is a bug, and the ack wait
      // redelivers the message, so log it and keep pulling.
      options.log.error({ err: error, mode }, "batch handler threw");
    } finally {
      inFlight--;
      checkMemory(mode);
    }
  }

  function checkMemory(mode: PipelineMode): void {
    const check = options.memory?.check();
    if (check?.collected) {
      const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
      options.log.info({ mode, rssMiB: mib(check.before), afterMiB: mib(check.after) }, "memory limit: collected");
    }
  }

  async function loop(mode: PipelineMode, messages: ConsumerMessages): Promise<void> {
    // Up to `maxMessages` batches in hand at once: the next batch generates its rows while the
    // previous one's transaction commits, so neither the CPU nor the database waits on the other.
    const active = new Set<Promise<void>>();
    for await (const m of messages) {
      if (stopping) {
        // Buffered after the stop: hand it straight back for another seeder.
        m.nak();
        continue;
      }
      const task = handle(mode, m).finally(() => active.delete(task));
      active.add(task);
      if (active.size >= maxMessages) await Promise.race(active);
    }
    await Promise.all(active);
  }

  return {
    async start() {
      if (started) return;
      started = true;
      for (const mode of options.modes) {
        const consumer = await options.js.consumers.get(options.names.streams[mode], options.names.consumers[mode]);
        const messages = await consumer.consume({ max_messages: maxMessages });
        iterators.push(messages);
        loops.push(loop(mode, messages));
      }
      options.log.info({ modes: options.modes, maxMessages }, "seeder pulling");
    },
    async stop() {
      if (stopping) return Promise.all(loops).then(() => undefined);
      stopping = true;
      await Promise.all(iterators.map((it) => it.close()));
      await Promise.all(loops);
    },
    get running() {
      return started && !stopping;
    },
    get inFlight() {
      return inFlight;
    },
  };
}
