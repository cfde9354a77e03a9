import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ROOT_CONTEXT, SpanStatusCode, trace } from "@opentelemetry/api";
import { SementeError } from "@semente/core/errors";
import {
  contextFromTraceparent,
  createExportGate,
  createLogger,
  createMetricsRegistry,
  extractTraceHeaders,
  injectTraceHeaders,
  inSpan,
  RunSpan,
  recordRunSpan,
  runTraceparent,
  runTraces,
  startServiceTelemetry,
  startTelemetry,
  type Telemetry,
  TELEMETRY_VARS,
  tracesEndpoint,
  tracesProtocol,
} from "../../src/telemetry/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { insertRun } from "../runs/run-fixture.ts";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp-receiver.ts";

describe("export gate", () => {
  test("gate - required: closes only after failures lasting the bound, reopens on a delivery", () => {
    let now = 0;
    const changes: string[] = [];
    const gate = createExportGate({
      required: true,
      boundMs: 1_000,
      now: () => now,
      onChange: (s) => changes.push(s.status),
    });
    gate.assertOpen();
    gate.record(false);
    now = 999;
    expect(gate.state()).toEqual({ status: "failing", failingForMs: 999, required: true });
    gate.assertOpen();
    now = 1_000;
    gate.record(false);
    let refused: unknown;
    try {
      gate.assertOpen();
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(SementeError);
    expect((refused as SementeError).code).toBe("TELEMETRY_UNAVAILABLE");
    expect((refused as SementeError).status).toBe(503);
    expect((refused as SementeError).exitCode).toBe(5);
    gate.record(true);
    gate.assertOpen();
    expect(changes).toEqual(["failing", "down", "ok"]);
  });

  test("gate - dev: down past the bound only warns (never refuses)", () => {
    let now = 0;
    const gate = createExportGate({ required: false, boundMs: 10, now: () => now });
    gate.record(false);
    now = 1_000;
    expect(gate.state().status).toBe("down");
    expect(() => gate.assertOpen()).not.toThrow();
  });
});

describe("tracing", () => {
  let receiver: OtlpReceiver;
  let telemetry: Telemetry;
  let db: TestDatabase;

  beforeAll(async () => {
    receiver = startOtlpReceiver();
    db = await createTestDatabase("telemetry_tracing");
    telemetry = startTelemetry({
      service: "unit",
      environment: "staging",
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        SEMENTE_TELEMETRY_FAILURE_BOUND_MS: "200",
        SEMENTE_TELEMETRY_PROBE_MS: "50",
        OTEL_BSP_SCHEDULE_DELAY: "50",
        OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20probe-token",
      },
    });
  });
  afterAll(async () => {
    // The collector is stopped by the last test: shutdown gives up flushing after its bound.
    await telemetry.shutdown();
    receiver.stop();
    await db.drop();
  }, 30_000);

  test("tracing - standard variables: endpoint, protocol; staging refuses to start without an exporter", () => {
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" })).toBe("http://c:4318/v1/traces");
    expect(
      tracesEndpoint({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t/x", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c" }),
    ).toBe("http://t/x");
    expect(tracesEndpoint({})).toBeUndefined();
    expect(() => tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "::nonsense" })).toThrow(
      "OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL",
    );
    expect(() => tracesEndpoint({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "grpc://c:4317" })).toThrow(
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    );
    expect(tracesProtocol({})).toBe("http/protobuf");
    expect(tracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })).toBe("http/json");
    expect(() => tracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toThrow(/http\/protobuf or http\/json/);
    expect(() => startTelemetry({ service: "x", environment: "prod", env: {} })).toThrow(
      /telemetry is required in prod/,
    );
    expect(() =>
      startTelemetry({
        service: "x",
        environment: "staging",
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_TRACES_EXPORTER: "none" },
      }),
    ).toThrow(/telemetry is required/);
    expect(TELEMETRY_VARS.OTEL_EXPORTER_OTLP_PROTOCOL.default).toBe("http/protobuf");
  });

  test("tracing - spans export as OTLP/JSON under semente-<service>; headers carry the context across", async () => {
    const carrier = new Map<string, string>();
    const headers = { get: (k: string) => carrier.get(k), set: (k: string, v: string) => void carrier.set(k, v) };
    let parentId = "";
    let traceId = "";
    await inSpan(telemetry.tracer, "unit.parent", { attributes: { "semente.entity": "customers" } }, async (span) => {
      parentId = span.spanContext().spanId;
      traceId = span.spanContext().traceId;
      injectTraceHeaders(headers);
    });
    expect(carrier.get("traceparent")).toBe(`00-${traceId}-${parentId}-01`);
    const lines: string[] = [];
    const log = createLogger({ service: "t", destination: { write: (l) => void lines.push(l) } });
    let childId = "";
    await inSpan(telemetry.tracer, "unit.child", { parent: extractTraceHeaders(headers) }, async (span) => {
      childId = span.spanContext().spanId;
      log.info("inside");
    });
    log.info("outside");
    expect(JSON.parse(lines[0] as string)).toMatchObject({ trace_id: traceId, span_id: childId });
    expect(JSON.parse(lines[1] as string).trace_id).toBeUndefined();
    await expect(
      inSpan(telemetry.tracer, "unit.fails", {}, async () => {
        throw new SementeError("WORM_UNAVAILABLE", "no storage at /secret/path");
      }),
    ).rejects.toThrow();
    const spans = await (async () => {
      for (let i = 0; i < 100; i++) {
        const found = receiver.spans().filter((s) => s.name.startsWith("unit."));
        if (found.length === 3) return found;
        await Bun.sleep(50);
      }
      throw new Error("spans not exported");
    })();
    expect(spans.every((s) => s.service === "semente-unit")).toBe(true);
    const child = spans.find((s) => s.name === "unit.child");
    expect(child).toMatchObject({ traceId, parentSpanId: parentId });
    const failed = spans.find((s) => s.name === "unit.fails");
    expect(failed?.attributes["semente.problem_code"]).toBe("WORM_UNAVAILABLE");
    expect(JSON.stringify(failed)).not.toContain("/secret/path");
    expect(SpanStatusCode.ERROR).toBe(2);
  }, 20_000);

  test("tracing - a service's start-up logs its exporter and exposes semente_telemetry_export_up", async () => {
    const lines: string[] = [];
    const log = createLogger({ service: "svc", destination: { write: (l) => void lines.push(l) } });
    const registry = createMetricsRegistry();
    const saved = {
      endpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT,
      traces: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    };
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    try {
      const started = startServiceTelemetry("svc", "dev", log, registry);
      expect(started.exporter).toBe("none");
      expect(JSON.parse(lines[0] as string)).toMatchObject({
        msg: "telemetry started",
        exporter: "none",
        required: false,
      });
      expect(await registry.render()).toMatch(/^semente_telemetry_export_up 1$/m);
      await started.shutdown();
    } finally {
      if (saved.endpoint !== undefined) process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved.endpoint;
      if (saved.traces !== undefined) process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = saved.traces;
    }
  });

  test("tracing - a malformed or missing traceparent starts a new trace", () => {
    for (const bad of [undefined, "", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"]) {
      expect(trace.getSpanContext(contextFromTraceparent(bad))).toBeUndefined();
    }
    const ctx = contextFromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "k=v");
    expect(trace.getSpanContext(ctx)).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", isRemote: true });
    expect(trace.getSpanContext(extractTraceHeaders(undefined))).toBeUndefined();
    expect(extractTraceHeaders(undefined)).toBe(ROOT_CONTEXT);
  });

  test("tracing - run spans are recorded once per span id and give the planner its parent", async () => {
    const run = await insertRun(db.appSql);
    expect(await runTraceparent(db.appSql, run.id, RunSpan.admission)).toBeUndefined();
    await inSpan(telemetry.tracer, RunSpan.admission, {}, async (span) => {
      await recordRunSpan(db.appSql, run.id, "gateway", RunSpan.admission, span);
      await recordRunSpan(db.appSql, run.id, "gateway", RunSpan.admission, span);
      const c = span.spanContext();
      expect(await runTraceparent(db.appSql, run.id, RunSpan.admission)).toBe(`00-${c.traceId}-${c.spanId}-01`);
    });
    // A no-op span (zero ids) is not recorded.
    await recordRunSpan(
      db.appSql,
      run.id,
      "gateway",
      RunSpan.request,
      trace.wrapSpanContext({
        traceId: "0".repeat(32),
        spanId: "0".repeat(16),
        traceFlags: 0,
      }),
    );
    expect((await runTraces(db.appSql, run.id)).map((t) => t.spanName)).toEqual([RunSpan.admission]);
  });

  test("tracing - staging: collector stopped past the bound closes the gate (probe), TELEMETRY_UNAVAILABLE", async () => {
    telemetry.gate.assertOpen();
    // The idle probe reaches the collector with the exporter's configured headers.
    for (let i = 0; i < 50 && !receiver.authorizations().includes("Bearer probe-token"); i++) await Bun.sleep(20);
    expect(receiver.authorizations()).toContain("Bearer probe-token");
    receiver.stop();
    for (let i = 0; i < 100 && telemetry.gate.state().status !== "down"; i++) await Bun.sleep(20);
    expect(telemetry.gate.state().status).toBe("down");
    expect(() => telemetry.gate.assertOpen()).toThrow(/trace export failing/);
  });
});
