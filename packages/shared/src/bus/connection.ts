import { connect, type NatsConnection } from "@nats-io/transport-node";
import { SementeError } from "../errors/index.ts";

/** Options of `connectNats`. */
export interface ConnectNatsOptions {
  /** One URL or several (`nats://127.0.0.1:4222`). */
  servers: string | string[];
  /** Connection name shown by `nats server report connections`, e.g. `gateway`. */
  name: string;
  /**
   * Milliseconds to wait for the first connection.
   * @default 5000
   */
  timeoutMs?: number;
}

/** Connects to NATS; an unreachable broker becomes a retryable `UNAVAILABLE`. */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  try {
    return await connect({
      servers: options.servers,
      name: options.name,
      timeout: options.timeoutMs ?? 5_000,
      maxReconnectAttempts: -1,
    });
  } catch (cause) {
    throw new SementeError("UNAVAILABLE", "NATS broker unreachable", { cause, retryable: true });
  }
}
