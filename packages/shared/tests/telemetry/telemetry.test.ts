import { describe, expect, test } from "bun:test";
import {
  childTraceContext,
  createLogger,
  createMetricsRegistry,
  formatTraceparent,
  parseTraceparent,
  withLabels,
} from "../../src/telemetry/index.ts";

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

  test("telemetry - counters and histograms render in Prometheus text format", () => {
    const registry = createMetricsRegistry();
    const c = registry.counter("req_total", "Requests.");
    const h = registry.histogram("lat_seconds", "Latency.", [0.1, 1]);
    c.inc({ route: "/a", status: "200" });
    c.inc({ route: "/a", status: "200" }, 2);
    h.observe({ route: "/a" }, 0.5);
    const text = registry.render();
    expect(text).toContain("# TYPE req_total counter");
    expect(text).toContain('req_total{route="/a",status="200"} 3');
    expect(text).toContain('lat_seconds_bucket{route="/a",le="0.1"} 0');
    expect(text).toContain('lat_seconds_bucket{route="/a",le="1"} 1');
    expect(text).toContain('lat_seconds_bucket{route="/a",le="+Inf"} 1');
    expect(text).toContain('lat_seconds_count{route="/a"} 1');
    expect(() => registry.counter("req_total", "again")).toThrow();
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
