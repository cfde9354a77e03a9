import { int, str, type VarSpec } from "./env.ts";

const NATS_PROTOCOLS = ["nats:", "tls:", "ws:", "wss:"];

/** A comma-separated list of NATS server URLs (a cluster), each checked on its own. */
export const natsUrlList = (doc: string, def: string): VarSpec<string[]> => ({
  doc,
  default: def,
  parse: (s) => {
    const urls = s
      .split(",")
      .map((u) => u.trim())
      .filter((u) => u !== "");
    if (urls.length === 0) throw new Error("expected at least one NATS URL");
    urls.forEach((u, i) => {
      let parsed: URL;
      try {
        parsed = new URL(u);
      } catch {
        // URL's own message echoes the input, which may hold a password: never repeat it.
        throw new Error(`server ${i + 1} is not a valid URL`);
      }
      if (!NATS_PROTOCOLS.includes(parsed.protocol)) {
        throw new Error(`server ${i + 1}: expected a ${NATS_PROTOCOLS.join(" or ")} URL`);
      }
    });
    return urls;
  },
});

/** NATS connection and JetStream placement, read by every service and the CLI. */
export const NATS_VARS = {
  NATS_URL: natsUrlList("NATS server URL, or a comma-separated list of a cluster's servers", "nats://127.0.0.1:4222"),
  NATS_CREDS: str("NATS credentials file (JWT + NKey seed); takes precedence over user/password and token", ""),
  NATS_USER: str("NATS user (with NATS_PASSWORD)", ""),
  NATS_PASSWORD: str("NATS password of NATS_USER; never logged", ""),
  NATS_TOKEN: str("NATS authentication token; never logged", ""),
  NATS_REPLICAS: int("Replicas of every Semente stream and KV bucket (3 on a three-node cluster)", "1", 1, 5),
} as const;

/** Values of {@link NATS_VARS}. */
export interface NatsVars {
  NATS_URL: string[];
  NATS_CREDS: string;
  NATS_USER: string;
  NATS_PASSWORD: string;
  NATS_TOKEN: string;
  NATS_REPLICAS: number;
}
