import { describe, expect, test } from "bun:test";
import { createMemoryGovernor } from "../../src/pipeline/memory.ts";

const MIB = 2 ** 20;

/** A resident size the test sets, and a collection that frees what the test says it frees. */
function fakeProcess(start: number, freedByCollection: number) {
  const state = { rss: start, collections: 0 };
  return {
    state,
    rss: () => state.rss,
    collect: () => {
      state.collections++;
      state.rss -= freedByCollection;
    },
  };
}

describe("memory governor", () => {
  test("under or at the limit nothing is collected", () => {
    const p = fakeProcess(100 * MIB, 40 * MIB);
    const governor = createMemoryGovernor({ limitBytes: 192 * MIB, rss: p.rss, collect: p.collect });
    expect(governor.check()).toEqual({ collected: false, before: 100 * MIB, after: 100 * MIB });
    p.state.rss = 192 * MIB;
    expect(governor.check().collected).toBe(false);
    expect(p.state.collections).toBe(0);
    expect(governor.collections).toBe(0);
  });

  test("past the limit one full collection runs and the sizes before and after are reported", () => {
    const p = fakeProcess(200 * MIB, 70 * MIB);
    const governor = createMemoryGovernor({ limitBytes: 192 * MIB, rss: p.rss, collect: p.collect });
    expect(governor.check()).toEqual({ collected: true, before: 200 * MIB, after: 130 * MIB });
    expect(p.state.collections).toBe(1);
    // Back under the limit: the next check does not collect again.
    expect(governor.check().collected).toBe(false);
    p.state.rss = 250 * MIB;
    expect(governor.check().after).toBe(180 * MIB);
    expect(governor.collections).toBe(2);
  });

  test("a limit of 0 turns it off", () => {
    const p = fakeProcess(4096 * MIB, 1);
    const governor = createMemoryGovernor({ limitBytes: 0, rss: p.rss, collect: p.collect });
    expect(governor.check().collected).toBe(false);
    expect(p.state.collections).toBe(0);
  });

  test("a negative or non-numeric limit is refused", () => {
    expect(() => createMemoryGovernor({ limitBytes: -1 })).toThrow(RangeError);
    expect(() => createMemoryGovernor({ limitBytes: Number.NaN })).toThrow(RangeError);
  });

  test("the default collector really frees garbage: a process over its limit falls back under it", () => {
    // Real Bun.gc(true) and process.memoryUsage.rss(): garbage made here, then collected.
    let junk: string[][] | undefined = Array.from({ length: 200 }, (_, i) =>
      Array.from({ length: 2_000 }, (_, j) => `${i}:${j}:${"x".repeat(64)}`),
    );
    expect(junk.length).toBe(200);
    junk = undefined;
    const before = process.memoryUsage().heapUsed;
    const governor = createMemoryGovernor({ limitBytes: 1 });
    const check = governor.check();
    expect(check.collected).toBe(true);
    expect(process.memoryUsage().heapUsed).toBeLessThan(before);
  });
});
