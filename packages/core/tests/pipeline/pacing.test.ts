import { describe, expect, test } from "bun:test";
import { createPacer, PACING_WINDOW_MS, type PacingPlan, pacingPlan } from "../../src/pipeline/index.ts";

/** Releases `batches` batches of `rows` through the pacer, as the planner's loop does, on a 10 ms step clock. */
function simulate(plan: PacingPlan, batches: number, rows: number, latencyMs: (i: number) => number): number[] {
  const pacer = createPacer(plan, 0);
  const commits: number[] = [];
  let inFlight: number[] = [];
  let released = 0;
  for (let t = 0; commits.length < batches; t += 10) {
    const due = inFlight.filter((c) => c <= t);
    inFlight = inFlight.filter((c) => c > t);
    commits.push(...due.map(() => t));
    while (released < batches && inFlight.length < plan.maxInFlight && pacer.take(rows, t)) {
      inFlight.push(t + latencyMs(released));
      released++;
    }
  }
  return commits;
}

/** The largest number of rows committed in any window of `windowMs` (windows opening at a commit). */
function busiestWindow(commits: number[], rows: number, windowMs = PACING_WINDOW_MS): number {
  let best = 0;
  for (const start of commits) best = Math.max(best, commits.filter((c) => c >= start && c < start + windowMs).length);
  return best * rows;
}

describe("pacing", () => {
  test("pacing - the target with the requested parallelism when the cap leaves room for it", () => {
    expect(
      pacingPlan({ targetRowsPerSecond: 2_000, capRowsPerSecond: 2_500, batchRows: 1_000, maxInFlight: 3 }),
    ).toEqual({
      rowsPerSecond: 2_000,
      burstRows: 1_000,
      maxInFlight: 3,
      capGuaranteed: true,
    });
  });

  test("pacing - less parallelism, then a lower rate, when in-flight batches could break the cap", () => {
    expect(
      pacingPlan({ targetRowsPerSecond: 2_000, capRowsPerSecond: 2_500, batchRows: 2_000, maxInFlight: 3 }),
    ).toMatchObject({
      rowsPerSecond: 2_000,
      maxInFlight: 1,
    });
    expect(
      pacingPlan({ targetRowsPerSecond: 2_000, capRowsPerSecond: 2_100, batchRows: 1_000, maxInFlight: 3 }),
    ).toEqual({
      rowsPerSecond: 1_900,
      burstRows: 1_000,
      maxInFlight: 1,
      capGuaranteed: true,
    });
    expect(
      pacingPlan({ targetRowsPerSecond: 200, capRowsPerSecond: 500, batchRows: 10_000, maxInFlight: 1 }),
    ).toMatchObject({
      rowsPerSecond: 500,
      capGuaranteed: false,
    });
  });

  test("pacing - fast seeders: the mean rate is the target and no 10 s window exceeds the cap", () => {
    const plan = pacingPlan({ targetRowsPerSecond: 2_000, capRowsPerSecond: 2_500, batchRows: 1_000, maxInFlight: 3 });
    const commits = simulate(plan, 120, 1_000, () => 120);
    const seconds = (commits.at(-1) as number) / 1000;
    expect(Math.abs(120_000 / seconds - 2_000)).toBeLessThan(200);
    expect(busiestWindow(commits, 1_000)).toBeLessThanOrEqual(2_500 * 10);
  });

  test("pacing - stalls then bursts of commits (slow batches finishing together) still stay under the cap", () => {
    for (const [target, cap, rows, parallel] of [
      [2_000, 2_500, 1_000, 3],
      [2_000, 2_100, 1_000, 4],
      [200, 500, 1_000, 2],
      [20_000, 40_000, 5_000, 4],
    ] as const) {
      const plan = pacingPlan({
        targetRowsPerSecond: target,
        capRowsPerSecond: cap,
        batchRows: rows,
        maxInFlight: parallel,
      });
      // Every fifth batch hangs for 9 s (a lock), the others commit at once: in-flight work piles up.
      const commits = simulate(plan, 200, rows, (i) => (i % 5 === 2 ? 9_000 : 20));
      expect({ target, busiest: busiestWindow(commits, rows) <= cap * 10 }).toEqual({ target, busiest: true });
    }
  });

  test("pacing - the bucket tells how long until a batch may go", () => {
    const pacer = createPacer({ rowsPerSecond: 1_000, burstRows: 500, maxInFlight: 1, capGuaranteed: true }, 0);
    expect(pacer.waitMs(500, 0)).toBe(0);
    expect(pacer.take(500, 0)).toBe(true);
    expect(pacer.take(500, 100)).toBe(false);
    expect(pacer.waitMs(500, 100)).toBe(400);
    expect(pacer.take(500, 500)).toBe(true);
    // A long idle period banks no more than one batch.
    expect(pacer.take(500, 60_000)).toBe(true);
    expect(pacer.take(500, 60_000)).toBe(false);
  });
});
