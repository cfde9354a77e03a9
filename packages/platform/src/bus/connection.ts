import { readFileSync } from "node:fs";
import { type ConnectionOptions, connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import type { NatsVars } from "../config/nats.ts";
import { SementeError } from "@semente/core/errors";

/** How to authenticate to NATS; at most one of creds, user/password or token is used. */
export interface NatsAuth {
  /** Path of a `.creds` file (user JWT + NKey seed). */
  credsFile?: string;
  user?: string;
  password?: string;
  token?: string;
}

/** Options of `connectNats`. */
export interface ConnectNatsOptions {
  /** One URL, several, or one comma-separated string of several (`nats://a:4222,nats://b:4222`). */
  servers: string | string[];
  /** Connection name shown by `nats server report connections`, e.g. `gateway`. */
  name: string;
  /**
   * Milliseconds to wait for the first connection.
   * @default 5000
   */
  timeoutMs?: number;
  /** Credentials; none by default. */
  auth?: NatsAuth;
}

/** The server list of `servers`, comma-separated strings split. */
export function serverList(servers: string | string[]): string[] {
  return (Array.isArray(servers) ? servers : [servers])
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Connection options for `auth` (creds file first, then user/password, then token). */
export function authOptions(auth: NatsAuth = {}): Partial<ConnectionOptions> {
  if (auth.credsFile) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(auth.credsFile);
    } catch (cause) {
      throw new SementeError("CONFIG_INVALID", "NATS_CREDS: file cannot be read", {
        cause,
        errors: [{ pointer: "/env/NATS_CREDS", message: "NATS_CREDS: file cannot be read" }],
      });
    }
    return { authenticator: credsAuthenticator(creds) };
  }
  if (auth.user) return { user: auth.user, pass: auth.password ?? "" };
  if (auth.token) return { token: auth.token };
  return {};
}

/** `connectNats` options (servers and credentials) from the {@link NatsVars} of a service. */
export function natsOptionsFromVars(vars: NatsVars, name: string): ConnectNatsOptions {
  return {
    servers: vars.NATS_URL,
    name,
    auth: { credsFile: vars.NATS_CREDS, user: vars.NATS_USER, password: vars.NATS_PASSWORD, token: vars.NATS_TOKEN },
  };
}

/** Connects to NATS; an unreachable broker becomes a retryable `UNAVAILABLE`. */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  const auth = authOptions(options.auth);
  try {
    return await connect({
      servers: serverList(options.servers),
      name: options.name,
      timeout: options.timeoutMs ?? 5_000,
      maxReconnectAttempts: -1,
      ...auth,
    });
  } catch (cause) {
    throw new SementeError("UNAVAILABLE", "NATS broker unreachable", { cause, retryable: true });
  }
}
