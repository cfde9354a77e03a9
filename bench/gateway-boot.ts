// A gateway on a real port over a throwaway database and NATS prefix, for the gateway benchmarks.
import { mintToken, type Role } from "../packages/platform/src/auth/index.ts";
import { ensureRunEventsStream } from "../packages/platform/src/bus/index.ts";
import { createSql } from "../packages/platform/src/db/index.ts";
import { createLogger } from "../packages/platform/src/telemetry/index.ts";
import { runEventsFor, testAdmission } from "../packages/platform/tests/admission/admission-helpers.ts";
import { createTestDatabase } from "../packages/platform/tests/harness.ts";
import { createTestNats } from "../packages/platform/tests/nats-harness.ts";
import { createGateway } from "../services/gateway/src/app.ts";
import { loadGatewayConfig } from "../services/gateway/src/config.ts";

export interface BenchGateway {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** A token signed with this gateway's key. */
  token(claims: { subject: string; roles: Role[]; tenants: string[]; environments: string[] }): Promise<string>;
  stop(): Promise<void>;
}

/** Boots the gateway with rate limits out of the way; `env` adds gateway variables. */
export async function bootGateway(slug: string, env: Record<string, string> = {}): Promise<BenchGateway> {
  const secret = new TextEncoder().encode(crypto.randomUUID() + crypto.randomUUID());
  const keys = { secret, issuer: "semente", audience: "semente-gateway" };
  const db = await createTestDatabase(slug);
  const nats = await createTestNats(slug);
  await ensureRunEventsStream(nats.jsm, runEventsFor(nats));
  const admission = await testAdmission(db, nats, { holderId: "bench", scope: "bench" });
  const { gateway: config } = loadGatewayConfig({
    GATEWAY_RATE_LIMIT_PRINCIPAL: "100000000",
    GATEWAY_RATE_LIMIT_TENANT: "100000000",
    GATEWAY_RATE_LIMIT_OPS: "100000000",
    ...env,
  });
  // The harness pools hold 4 connections; a gateway replica runs with the production default.
  const sql = createSql(db.urls.app, { max: 10 });
  const gateway = await createGateway({
    sql,
    nc: nats.nc,
    admission,
    keys,
    log: createLogger({ service: "gateway", level: "warn" }),
    config,
    events: runEventsFor(nats),
  });
  const listening = gateway.app.listen({ port: 0, maxRequestBodySize: Number.MAX_SAFE_INTEGER });
  return {
    base: `http://127.0.0.1:${listening.server?.port}`,
    token: (claims) => mintToken(keys, { ...claims, ttlSeconds: 3600, issuedAt: Math.floor(Date.now() / 1000) }),
    async stop() {
      await listening.stop();
      gateway.close();
      await admission.stop();
      await sql.end();
      await nats.cleanup();
      await db.drop();
    },
  };
}
