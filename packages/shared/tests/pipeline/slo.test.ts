import { describe, expect, test } from "bun:test";
import { createSloGate, percentile, SLO_MIN_SAMPLES } from "../../src/pipeline/index.ts";

describe("SLO gate", () => {
  test("slo - nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.95)).toBe(95);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([5, 1, 3], 0.99)).toBe(5);
    expect(percentile([], 0.95)).toBe(0);
  });

  test("slo - too few samples never breach; one slow batch among enough samples breaches p99", () => {
    const gate = createSloGate({ p95_batch_ms: 1_500, p99_batch_ms: 3_000 });
    gate.record(10_000);
    expect(gate.read()).toMatchObject({ samples: 1, breached: false });
    for (let i = 1; i < SLO_MIN_SAMPLES; i++) gate.record(100);
    expect(gate.read()).toMatchObject({ samples: SLO_MIN_SAMPLES, p99Ms: 10_000, breached: true });
  });

  test("slo - the window forgets old samples: a slow start does not hold forever", () => {
    const gate = createSloGate({ p95_batch_ms: 1_500, p99_batch_ms: 3_000 }, 20);
    gate.record(9_000);
    for (let i = 0; i < 20; i++) gate.record(200);
    expect(gate.read()).toEqual({ samples: 20, p95Ms: 200, p99Ms: 200, breached: false });
  });
});
