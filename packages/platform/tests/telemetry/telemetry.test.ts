import { describe, expect, test } from "bun:test";
import {
  BATCH_BUCKETS,
  childTraceContext,
  createLogger,
  createMetricsRegistry,
  formatTraceparent,
  parseTraceparent,
  registerSli,
  registerSliGauge,
  SLI_METRICS,
  type SliKey,
  withLabels,
} from "../../src/telemetry/index.ts";
import { parsePrometheusText } from "./prometheus-text.ts";

describe("telemetry", () => {
  test("telemetry - every line carries service and the tenant/environment/run labels", () => {
    const lines: string[] = [];
    const log = createLogger({ service: "gw", destination: { write: (l) => void lines.push(l) } });
    log.info("plain");
    withLabels(log, { tenant: "acme", environment: "dev", run: "r1" }).info("scoped");
    const [plain, scoped] = lines.map((l) => JSON.parse(l));
    expect(plain).toMatchObject({
      service: "gw",
      tenant: null,
      environment: null,
      run: null,
      msg: "plain",
      level: "info",
    });
    expect(scoped).toMatchObject({ tenant: "acme", environment: "dev", run: "r1" });
  });

  test("telemetry - a label bound by a child is printed once, the missing ones as null", () => {
    const lines: string[] = [];
    const log = createLogger({ service: "seeder", destination: { write: (l) => void lines.push(l) } });
    withLabels(withLabels(log, { tenant: "acme" }), { run: "r2" }).info("nested");
    const line = lines[0] as string;
    for (const key of ["tenant", "environment", "run"]) {
      expect(line.split(`"${key}":`).length - 1).toBe(1);
    }
    expect(JSON.parse(line)).toMatchObject({ tenant: "acme", environment: null, run: "r2" });
  });

  test("telemetry - secrets and PII are redacted", () => {
    const lines: string[] = [];
    const log = createLogger({ service: "gw", destination: { write: (l) => void lines.push(l) } });
    log.info({ authorization: "Bearer abc", customer: { cpf: "12345678901", email: "a@b.c" }, token: "t" }, "x");
    expect(lines[0]).not.toContain("abc");
    expect(lines[0]).not.toContain("12345678901");
    expect(lines[0]).not.toContain("a@b.c");
    expect(lines[0]).toContain("[redacted]");
  });

  test("telemetry - counters, histograms and gauges render in Prometheus text format with process metrics", async () => {
    const registry = createMetricsRegistry();
    const c = registry.counter("req_total", "Requests.", ["route", "status"]);
    const h = registry.histogram("lat_seconds", "Latency.", [0.1, 1], ["route"]);
    let depth = 7;
    registry.gauge("depth", "Depth.", ["mode"], (set) => set({ mode: "baseline" }, depth));
    c.inc({ route: "/a", status: "200" });
    c.inc({ route: "/a", status: "200" }, 2);
    h.observe({ route: "/a" }, 0.5);
    const text = await registry.render();
    const families = parsePrometheusText(text);
    expect(families.get("req_total")?.type).toBe("counter");
    expect(text).toContain('req_total{route="/a",status="200"} 3');
    expect(text).toContain('lat_seconds_bucket{le="0.1",route="/a"} 0');
    expect(text).toContain('lat_seconds_bucket{le="1",route="/a"} 1');
    expect(text).toContain('lat_seconds_bucket{le="+Inf",route="/a"} 1');
    expect(text).toContain('lat_seconds_count{route="/a"} 1');
    expect(text).toContain('depth{mode="baseline"} 7');
    depth = 3;
    expect(await registry.render()).toContain('depth{mode="baseline"} 3');
    expect(families.get("process_cpu_seconds_total")?.type).toBe("counter");
    expect(families.get("nodejs_heap_size_used_bytes")?.type).toBe("gauge");
    expect(() => registry.counter("req_total", "again")).toThrow();
    // Registries are independent: a second one registers the same names.
    expect(() => createMetricsRegistry().counter("req_total", "again")).not.toThrow();
  });

  test("telemetry - every catalogued SLI registers under its name, type and labels", async () => {
    const registry = createMetricsRegistry();
    for (const [key, spec] of Object.entries(SLI_METRICS) as [SliKey, (typeof SLI_METRICS)[SliKey]][]) {
      if (spec.type === "gauge") registerSliGauge(registry, key, (set) => set({}, 1));
      else if (spec.type === "histogram") registerSli(registry, key as "batchDuration", BATCH_BUCKETS);
      else registerSli(registry, key as "rowsWritten");
    }
    const families = parsePrometheusText(await registry.render());
    for (const spec of Object.values(SLI_METRICS)) expect(families.get(spec.name)?.type).toBe(spec.type);
    expect(() => registerSli(registry, "queueDepth" as "rowsWritten")).toThrow();
  });

  test("telemetry - the Prometheus text parser refuses malformed expositions", () => {
    expect(() => parsePrometheusText("no_type_declared 1\n")).toThrow();
    expect(() => parsePrometheusText("# TYPE a counter\na{x=1} 1\n")).toThrow();
    expect(() => parsePrometheusText("# TYPE a counter\na one\n")).toThrow();
    expect(() => parsePrometheusText("# TYPE a wrong\n")).toThrow();
    const ok = parsePrometheusText('# HELP a A.\n# TYPE a gauge\na{x="1",y="q\\"z"} +Inf\n');
    expect(ok.get("a")?.samples[0]).toEqual({
      name: "a",
      labels: { x: "1", y: 'q"z' },
      value: Number.POSITIVE_INFINITY,
    });
  });

  test("telemetry - traceparent parses, rejects malformed and propagates the trace id", () => {
    const parent = parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    expect(parent).toEqual({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", flags: 1 });
    expect(parseTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).toBeUndefined();
    expect(parseTraceparent("garbage")).toBeUndefined();
    const child = childTraceContext(parent);
    expect(child.traceId).toBe(parent?.traceId as string);
    expect(child.spanId).not.toBe(parent?.spanId as string);
    expect(formatTraceparent(child)).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(formatTraceparent(childTraceContext(undefined))).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
