import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Subprocess } from "bun";
import { mintToken, resolveAuthKeys } from "@semente/platform/auth";
import { PII_FIELDS } from "@semente/core/contracts";
import { ENTITIES } from "@semente/core/manifest";
import { SLI_METRICS } from "@semente/platform/telemetry";
import { createTestDatabase, type TestDatabase } from "../../../packages/platform/tests/harness.ts";
import { parsePrometheusText } from "../../../packages/platform/tests/telemetry/prometheus-text.ts";
import { startOtlpReceiver, type OtlpReceiver } from "../../../packages/platform/tests/telemetry/otlp-receiver.ts";
import { cli, createE2eInfra, type E2eInfra, freePort, lastJson, ROOT, type SeedJson, until } from "./e2e-utils.ts";

const ALFA = "configs/seed_profiles/dev/banco-alfa.yaml";
const STAGING_ALFA = "configs/seed_profiles/staging/banco-alfa.yaml";
const SERVICES = ["gateway", "planner", "seeder", "evidence"] as const;

let infra: E2eInfra;
beforeAll(async () => {
  infra = await createE2eInfra(["banco-alfa"]);
});
afterAll(async () => {
  await infra.cleanup();
});

async function waitReady(url: string, proc: Subprocess, name: string): Promise<void> {
  await until(`${name} ready`, async () => {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}`);
    try {
      return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).status === 200 ? true : undefined;
    } catch {
      return undefined;
    }
  });
}

interface Service {
  name: (typeof SERVICES)[number];
  proc: Subprocess;
  /** Base URL of the port serving /metrics (the gateway's API port or the worker's health port). */
  ops: string;
  log: string;
}

function spawn(name: Service["name"], env: Record<string, string>, logDir: string, port: number): Service {
  const log = join(logDir, `${name}.log`);
  const proc = Bun.spawn([process.execPath, join(ROOT, `services/${name}/src/main.ts`)], {
    cwd: ROOT,
    env,
    stdout: Bun.file(log),
    stderr: Bun.file(`${log}.err`),
  });
  return { name, proc, ops: `http://127.0.0.1:${port}`, log };
}

/** Gateway, planner, one seeder and the evidence service on `db`, every one exporting to `otlp`. */
async function startFullStack(db: TestDatabase, otlp: Record<string, string>, logDir: string) {
  const base = { ...infra.env, ...otlp };
  const ports = { gateway: freePort(), planner: freePort(), seeder: freePort(), evidence: freePort() };
  const services: Service[] = [
    spawn(
      "gateway",
      { ...base, SEMENTE_APP_DATABASE_URL: db.urls.app, GATEWAY_PORT: String(ports.gateway) },
      logDir,
      ports.gateway,
    ),
    spawn(
      "planner",
      {
        ...base,
        SEMENTE_APP_DATABASE_URL: db.urls.app,
        SEMENTE_SEEDER_DATABASE_URL: db.urls.seeder,
        SEMENTE_VERIFIER_DATABASE_URL: db.urls.verifier,
        HEALTH_PORT: String(ports.planner),
      },
      logDir,
      ports.planner,
    ),
    spawn(
      "seeder",
      { ...base, SEMENTE_SEEDER_DATABASE_URL: db.urls.seeder, HEALTH_PORT: String(ports.seeder) },
      logDir,
      ports.seeder,
    ),
    spawn(
      "evidence",
      {
        ...base,
        SEMENTE_APP_DATABASE_URL: db.urls.app,
        EVIDENCE_HEALTH_PORT: String(ports.evidence),
        EVIDENCE_DURABLE: `evidence-${crypto.randomUUID().slice(0, 8)}`,
      },
      logDir,
      ports.evidence,
    ),
  ];
  for (const s of services) await waitReady(`${s.ops}/readyz`, s.proc, s.name);
  return {
    services,
    gatewayUrl: services[0]?.ops as string,
    async stop() {
      for (const s of services) if (s.proc.exitCode === null) s.proc.kill("SIGTERM");
      await Promise.race([Promise.all(services.map((s) => s.proc.exited)), Bun.sleep(10_000)]);
      for (const s of services) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
    },
  };
}

/** Every PII value the run generated (the test reads them back as a superuser), long enough to be unambiguous. */
async function generatedPii(db: TestDatabase, tenant: string): Promise<string[]> {
  const values = new Set<string>();
  for (const entity of ENTITIES) {
    const columns = await db.adminSql<{ column_name: string }[]>`
      SELECT column_name FROM information_schema.columns WHERE table_schema = 'banking' AND table_name = ${entity}`;
    for (const { column_name } of columns) {
      if (!PII_FIELDS.includes(column_name)) continue;
      const rows = await db.adminSql.unsafe<{ v: string | null }[]>(
        `SELECT DISTINCT ${column_name}::text AS v FROM banking.${entity} WHERE tenant_id = $1`,
        [tenant],
      );
      for (const { v } of rows) if (v !== null && v.length >= 6) values.add(v);
    }
  }
  return [...values];
}

describe("telemetry e2e", () => {
  test("e2e telemetry - the dev baseline is one trace across all four services, named by the evidence; /metrics carries the SLIs; no PII in any log", async () => {
    const receiver: OtlpReceiver = startOtlpReceiver();
    const db = await createTestDatabase("e2e_otel");
    const logDir = (await import("node:fs")).mkdtempSync(join((await import("node:os")).tmpdir(), "semente-otel-"));
    const stack = await startFullStack(
      db,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=e2e",
        OTEL_BSP_SCHEDULE_DELAY: "200",
        // Every line any service can write, for the PII scan.
        LOG_LEVEL: "trace",
      },
      logDir,
    );
    try {
      const seeded = await cli(
        {
          db,
          logDir,
          seeders: [],
          startSeeder: async () => stack.services[2]?.proc as Subprocess,
          stop: async () => undefined,
          cliEnv: {
            ...infra.env,
            GATEWAY_URL: stack.gatewayUrl,
            SEMENTE_APP_DATABASE_URL: db.urls.app,
            SEMENTE_VERIFIER_DATABASE_URL: db.urls.verifier,
          },
        },
        ["seed", "--profile", ALFA, "--follow", "--json"],
      );
      expect(seeded.code).toBe(0);
      const run = lastJson<SeedJson>(seeded.stdout);
      expect(run.state).toBe("completed");
      const [row] = await db.adminSql<{ trace_id: string }[]>`SELECT trace_id FROM seed.runs WHERE id = ${run.id}`;
      const traceId = row?.trace_id as string;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);

      // The signed evidence report names the trace and the recorded spans.
      const location = await until("evidence", async () => {
        const rows = await db.adminSql<{ location: string }[]>`
          SELECT location FROM seed.evidence_index WHERE run_id = ${run.id}`;
        return rows[0]?.location;
      });
      const envelope = JSON.parse(readFileSync(fileURLToPath(location), "utf8")) as { payload: string };
      const report = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as {
        trace: { trace_id: string; span_ids: string[] };
      };
      expect(report.trace.trace_id).toBe(traceId);
      const recorded = await db.adminSql<{ span_name: string; span_id: string }[]>`
        SELECT span_name, span_id FROM seed.run_traces WHERE run_id = ${run.id}`;
      expect(new Set(recorded.map((r) => r.span_name))).toEqual(
        new Set(["gateway.request", "gateway.admission", "planner.run", "evidence.build"]),
      );
      for (const r of recorded) expect(report.trace.span_ids).toContain(r.span_id);

      // One trace with spans from all four services; every parent link resolves inside it.
      const spans = await until("spans of all services", async () => {
        const found = receiver.spans().filter((s) => s.traceId === traceId);
        const services = new Set(found.map((s) => s.service));
        const evidenceExported = found.some((s) => s.name === "evidence.build");
        return SERVICES.every((s) => services.has(`semente-${s}`)) && evidenceExported ? found : undefined;
      });
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const parentOf = (name: string) => {
        const span = spans.find((s) => s.name === name);
        expect(span).toBeDefined();
        return byId.get(span?.parentSpanId ?? "");
      };
      const roots = spans.filter((s) => s.parentSpanId === "" || !byId.has(s.parentSpanId));
      expect(roots.map((s) => s.name)).toEqual(["POST /api/v1/seed-runs"]);
      expect(parentOf("gateway.admission")?.name).toBe("POST /api/v1/seed-runs");
      expect(parentOf("planner.run")?.name).toBe("gateway.admission");
      expect(parentOf("planner.publish_batch")?.name).toBe("planner.run");
      expect(parentOf("seeder.consume")?.name).toBe("planner.publish_batch");
      expect(parentOf("seeder.batch")?.name).toBe("seeder.consume");
      expect(parentOf("seeder.checkpoint")?.name).toBe("seeder.consume");
      expect(parentOf("evidence.build")?.service).toBe("semente-planner");
      const batch = spans.find((s) => s.name === "seeder.batch");
      expect(Object.keys(batch?.attributes ?? {})).toEqual(
        expect.arrayContaining(["semente.entity", "semente.batch_index", "semente.rows", "semente.attempt"]),
      );
      expect(receiver.resources().some((r) => r["deployment.environment"] === "e2e")).toBe(true);

      // /metrics of each service parses as Prometheus text and carries its SLIs and process metrics.
      for (const s of stack.services) {
        const response = await fetch(`${s.ops}/metrics`);
        expect(response.status).toBe(200);
        const families = parsePrometheusText(await response.text());
        expect(families.get("process_cpu_seconds_total")?.type).toBe("counter");
        const expected = Object.values(SLI_METRICS).filter((m) => m.service === s.name || m.service === "all");
        for (const m of expected)
          expect({ service: s.name, metric: m.name, type: families.get(m.name)?.type }).toEqual({
            service: s.name,
            metric: m.name,
            type: m.type,
          });
      }
      const seederText = await (await fetch(`${stack.services[2]?.ops}/metrics`)).text();
      expect(seederText).toMatch(/semente_rows_written_total\{entity="customers",mode="baseline"\} [1-9]/);
      expect(seederText).toMatch(/semente_batch_duration_seconds_count\{entity="customers",mode="baseline"\} [1-9]/);

      // Every log line of every service: none of the generated PII values.
      await stack.stop();
      const logs = readdirSync(logDir)
        .map((f) => readFileSync(join(logDir, f), "utf8"))
        .join("\n");
      expect(logs.split("\n").filter((l) => l.trim() !== "").length).toBeGreaterThan(20);
      const pii = await generatedPii(db, "banco-alfa");
      expect(pii.length).toBeGreaterThan(50);
      expect(pii.filter((value) => logs.includes(value))).toEqual([]);
    } finally {
      await stack.stop();
      receiver.stop();
      await db.drop();
    }
  }, 120_000);

  test("e2e telemetry - staging with the collector stopped: POST /api/v1/seed-runs is refused with the telemetry problem and nothing is written", async () => {
    const receiver = startOtlpReceiver();
    const db = await createTestDatabase("e2e_otel_down");
    const port = freePort();
    const env = {
      ...infra.env,
      SEMENTE_ENV: "staging",
      SEMENTE_APP_DATABASE_URL: db.urls.app,
      GATEWAY_PORT: String(port),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      SEMENTE_TELEMETRY_FAILURE_BOUND_MS: "500",
      SEMENTE_TELEMETRY_PROBE_MS: "100",
    };
    const logDir = (await import("node:fs")).mkdtempSync(
      join((await import("node:os")).tmpdir(), "semente-otel-down-"),
    );
    const gateway = spawn("gateway", env, logDir, port);
    try {
      await waitReady(`http://127.0.0.1:${port}/readyz`, gateway.proc, "gateway");
      // Collector up: the probe delivers and the gate is open.
      await until("a probe", async () => (receiver.requests() > 0 ? true : undefined));
      receiver.stop();
      const token = await mintToken(resolveAuthKeys({ env }), {
        subject: "e2e",
        roles: ["admin"],
        tenants: ["*"],
        environments: ["*"],
        ttlSeconds: 600,
        issuedAt: Math.floor(Date.now() / 1000),
      });
      const post = () =>
        fetch(`http://127.0.0.1:${port}/api/v1/seed-runs`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/yaml",
            "idempotency-key": crypto.randomUUID(),
          },
          body: readFileSync(join(ROOT, STAGING_ALFA), "utf8"),
        });
      // Past the bound the gate is down (the metric says so); then one POST, refused before any write.
      await until("the export gate down", async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return /^semente_telemetry_export_up 0$/m.test(text) ? true : undefined;
      });
      const response = await post();
      const refused = { status: response.status, body: (await response.json()) as { type?: string } };
      expect(refused.status).toBe(503);
      expect(refused.body.type).toBe("https://semente.dev/problems/telemetry-unavailable");
      const [written] = await db.adminSql<{ runs: number; keys: number }[]>`
        SELECT (SELECT count(*)::int FROM seed.runs) AS runs, (SELECT count(*)::int FROM seed.idempotency_keys) AS keys`;
      expect(written).toEqual({ runs: 0, keys: 0 });
      const lines = readFileSync(gateway.log, "utf8").split("\n");
      expect(lines.some((l) => l.includes("trace export failing (fail-closed)"))).toBe(true);
    } finally {
      gateway.proc.kill("SIGTERM");
      await gateway.proc.exited;
      receiver.stop();
      await db.drop();
    }
  }, 60_000);
});
