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
    const gate = createSloGate({ p95_batch_ms: 1_500, p99_batch_ms: 3_000, max_error_rate: 0.05 });
    gate.record(10_000);
    expect(gate.read()).toMatchObject({ samples: 1, breached: false });
    for (let i = 1; i < SLO_MIN_SAMPLES; i++) gate.record(100);
    expect(gate.read()).toMatchObject({ samples: SLO_MIN_SAMPLES, p99Ms: 10_000, breached: true });
  });

  test("slo - the window forgets old samples: a slow start does not hold forever", () => {
    const gate = createSloGate({ p95_batch_ms: 1_500, p99_batch_ms: 3_000, max_error_rate: 0.05 }, 20);
    gate.record(9_000);
    for (let i = 0; i < 20; i++) gate.record(200);
    expect(gate.read()).toMatchObject({ samples: 20, p95Ms: 200, p99Ms: 200, breached: false });
  });

  test("slo - failed deliveries over the error budget breach; fast batches do not hide them", () => {
    const gate = createSloGate({ p95_batch_ms: 1_500, p99_batch_ms: 3_000, max_error_rate: 0.1 }, 20);
    for (let i = 0; i < 8; i++) gate.record(100);
    gate.recordFailure();
    // 1 failure in 9 outcomes, below the minimum number of outcomes: no verdict yet.
    expect(gate.read()).toMatchObject({ outcomes: 9, breached: false });
    gate.record(100);
    // 1 in 10 = the budget, not above it.
    expect(gate.read()).toMatchObject({ outcomes: 10, errorRate: 0.1, errorBudgetBreached: false, breached: false });
    gate.recordFailure();
    expect(gate.read()).toMatchObject({
      outcomes: 11,
      errorBudgetBreached: true,
      latencyBreached: false,
      breached: true,
    });
    // The window forgets: 20 commits later the failures are out of it.
    for (let i = 0; i < 20; i++) gate.record(100);
    expect(gate.read()).toMatchObject({ outcomes: 20, errorRate: 0, breached: false });
  });

  test("slo - a zero error budget trips on any failure once there are enough outcomes", () => {
    const gate = createSloGate({ p95_batch_ms: 1_500, p99_batch_ms: 3_000, max_error_rate: 0 });
    for (let i = 0; i < SLO_MIN_SAMPLES; i++) gate.record(100);
    expect(gate.read().breached).toBe(false);
    gate.recordFailure();
    expect(gate.read()).toMatchObject({ errorBudgetBreached: true, breached: true });
  });
});
