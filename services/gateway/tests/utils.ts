import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ensureRunEventsStream } from "@semente/platform/bus";
import type { AuthKeys, Role } from "@semente/platform/auth";
import { mintToken } from "@semente/platform/auth";
import { createLogger } from "@semente/platform/telemetry";
import { createTestDatabase, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import { createTestNats, type TestNats } from "../../../packages/platform/tests/nats-harness.ts";
import { runEventsFor, testAdmission } from "../../../packages/platform/tests/admission/admission-helpers.ts";
import { createGateway, type Gateway, type GatewayDeps } from "../src/app.ts";
import type { GatewayConfig } from "../src/config.ts";
import { DEFAULT_COST_MODEL_PATH } from "@semente/platform/config";
import type { Admission } from "@semente/platform/admission";
import { type BatchMessage, encodeMessage } from "@semente/core/pipeline";
import { type PipelineNames, storeDeadBatch } from "@semente/platform/pipeline";

export const PROFILES_DIR = resolve(import.meta.dir, "../../../configs/seed_profiles");

/** The text of a canonical manifest. */
export function profile(environment: string, tenant: string): string {
  return readFileSync(resolve(PROFILES_DIR, environment, `${tenant}.yaml`), "utf8");
}

export const KEYS: AuthKeys = {
  secret: new TextEncoder().encode("test-secret-test-secret-test-secret-0123"),
  issuer: "semente",
  audience: "semente-gateway",
};

/** Collected log lines (JSON) of a test gateway. */
export const logLines: string[] = [];

export function testConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    environment: "dev",
    rateLimits: {
      principal: { name: "principal", quota: 10_000, windowSeconds: 60 },
      tenant: { name: "tenant", quota: 10_000, windowSeconds: 60 },
      ip: { name: "ip", quota: 10_000, windowSeconds: 60 },
      ops: { name: "ops", quota: 10_000, windowSeconds: 60 },
    },
    trustProxy: false,
    idempotencyTtlSeconds: { baseline: 86_400, load: 86_400, dr: 86_400 },
    queueTtlSeconds: 300,
    maxBodyBytes: 1_048_576,
    parseWorkers: 2,
    parseTimeoutMs: 10_000,
    costModelPath: DEFAULT_COST_MODEL_PATH,
    ...overrides,
  };
}

/** Mints a token (HS256, the test secret). Defaults: admin everywhere, valid for an hour. */
export function token(
  claims: Partial<{
    sub: string;
    roles: Role[];
    tenants: string[];
    environments: string[];
    ttl: number;
    iat: number;
  }> = {},
): Promise<string> {
  return mintToken(KEYS, {
    subject: claims.sub ?? "tester",
    roles: claims.roles ?? ["admin"],
    tenants: claims.tenants ?? ["*"],
    environments: claims.environments ?? ["*"],
    ttlSeconds: claims.ttl ?? 3600,
    issuedAt: claims.iat ?? Math.floor(Date.now() / 1000),
  });
}

/** A request builder bound to an app. */
export function requester(app: { handle(r: Request): Promise<Response> }) {
  return (
    method: string,
    path: string,
    options: { token?: string; body?: string; contentType?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["Content-Type"] = options.contentType ?? "application/yaml";
    return app.handle(new Request(`http://gateway.test${path}`, { method, headers, body: options.body }));
  };
}

/**
 * `POST /api/v1/seed-runs` with a JSON body as `token` (a fresh Idempotency-Key per call,
 * `<keyPrefix>-<n>`), through a {@link requester}.
 */
export function seedRunPoster(send: () => ReturnType<typeof requester>, keyPrefix: string) {
  let key = 0;
  return {
    post(body: unknown, as: string): Promise<Response> {
      key += 1;
      return send()("POST", "/api/v1/seed-runs", {
        token: as,
        contentType: "application/json",
        body: JSON.stringify(body),
        headers: { "Idempotency-Key": `${keyPrefix}-${key}` },
      });
    },
    /** The Idempotency-Key of the last post (to replay it). */
    lastKey: () => `${keyPrefix}-${key}`,
  };
}

/** One test file's world: database, NATS prefix, admission and a gateway. */
export interface TestWorld {
  db: TestDatabase;
  nats: TestNats;
  admission: Admission;
  gateway: Gateway;
  /**
   * Builds another gateway over the same database and admission (a restart or a second replica);
   * `deps` swaps clients (a dead pool, a closed connection).
   */
  newGateway(overrides?: Partial<GatewayConfig>, now?: () => Date, deps?: Partial<GatewayDeps>): Promise<Gateway>;
  close(): Promise<void>;
}

export async function createWorld(
  slug: string,
  options: { config?: Partial<GatewayConfig>; now?: () => Date; globalSlots?: number } = {},
): Promise<TestWorld> {
  const db = await createTestDatabase(slug);
  const nats = await createTestNats(slug);
  await ensureRunEventsStream(nats.jsm, runEventsFor(nats));
  const admission = await testAdmission(db, nats, {
    holderId: `gw-${slug}`,
    scope: "adm",
    globalSlots: options.globalSlots ?? 2,
  });
  const log = createLogger({ service: "gateway", level: "info", destination: { write: (l) => void logLines.push(l) } });
  const newGateway = (overrides: Partial<GatewayConfig> = {}, now = options.now, deps: Partial<GatewayDeps> = {}) =>
    createGateway({
      sql: db.appSql,
      nc: nats.nc,
      admission,
      keys: KEYS,
      log,
      config: testConfig({ ...options.config, ...overrides }),
      events: runEventsFor(nats),
      ...(now === undefined ? {} : { now }),
      ...deps,
    });
  const gateway = await newGateway();
  return {
    db,
    nats,
    admission,
    gateway,
    newGateway,
    async close() {
      await admission.stop();
      await nats.cleanup();
      await db.drop();
    },
  };
}

/** A gateway started as its own process (`src/main.ts`) on a real port. */
export interface GatewayProcess {
  proc: ReturnType<typeof Bun.spawn>;
  /** `http://127.0.0.1:<port>` */
  base: string;
}

/** A port nothing listens on right now (the OS picks it; the probe server is closed again). */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(null) });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

/**
 * Spawns `bun src/main.ts` over a test database and NATS prefix and waits until `/healthz` answers;
 * `env` adds or overrides variables (lease TTLs, queue TTL, rate limits).
 */
export async function spawnGateway(
  db: TestDatabase,
  nats: TestNats,
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = Bun.spawn(["bun", resolve(import.meta.dir, "../src/main.ts")], {
    env: {
      ...process.env,
      CI: "true",
      SEMENTE_ENV: "dev",
      SEMENTE_ENV_FILE: "/nonexistent/.env",
      SEMENTE_APP_DATABASE_URL: db.urls.app,
      NATS_URL: nats.url,
      GATEWAY_PORT: String(port),
      GATEWAY_JWT_SECRET: new TextDecoder().decode(KEYS.secret),
      CONTROL_NATS_NAME_PREFIX: nats.prefix,
      CONTROL_NATS_SUBJECT_PREFIX: nats.subjectPrefix,
      GATEWAY_RATE_LIMIT_PRINCIPAL: "10000",
      GATEWAY_RATE_LIMIT_TENANT: "10000",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdout: "ignore",
    stderr: "pipe",
  });
  for (let i = 0; i < 150; i++) {
    const up = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { proc, base };
    if (proc.exitCode !== null) break;
    await Bun.sleep(100);
  }
  if (proc.exitCode === null) proc.kill("SIGKILL");
  const stderr = await new Response(proc.stderr as ReadableStream).text();
  throw new Error(`gateway did not start: ${stderr}`);
}

/** The fixed instant tests use for window checks: 03:00 UTC, inside every canonical window. */
export const NIGHT = () => new Date("2025-06-01T03:00:00Z");

/**
 * Stores a dead batch of `runId` in the world's SEED_DLQ as the DLQ enricher would (source
 * sequence `seq` of the baseline work queue) and returns its entry id, `<stream>:<seq>`.
 */
export async function storeDeadBatchOf(
  nats: TestNats,
  names: PipelineNames,
  run: { id: string; tenant: string },
  seq: number,
  dead: { entity: string; batchIndex: number } = { entity: "customers", batchIndex: seq },
): Promise<string> {
  const batch: BatchMessage = {
    v: 1,
    runId: run.id,
    environment: "dev",
    tenant: run.tenant,
    mode: "baseline",
    dryRun: true,
    manifestHash: "a".repeat(64),
    keyVersion: 1,
    entity: dead.entity,
    batchIndex: dead.batchIndex,
    level: 1,
    planIndex: seq,
    from: 0,
    to: 100,
  };
  await storeDeadBatch(nats.js, names, {
    stream: names.streams.baseline,
    seq,
    subject: names.batchSubject(batch),
    data: encodeMessage(batch),
    deliveries: 5,
    lastError: null,
  });
  return `${names.streams.baseline}:${seq}`;
}
