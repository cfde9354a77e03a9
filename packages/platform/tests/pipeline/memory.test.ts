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

  test("a collection that leaves the process over its limit defers the next one by the headroom", () => {
    // The live data alone is 200 MiB: collecting frees nothing below it.
    const p = fakeProcess(230 * MIB, 30 * MIB);
    const governor = createMemoryGovernor({
      limitBytes: 192 * MIB,
      headroomBytes: 48 * MIB,
      rss: p.rss,
      collect: () => {
        p.state.collections++;
        p.state.rss = 200 * MIB;
      },
    });
    expect(governor.check()).toEqual({ collected: true, before: 230 * MIB, after: 200 * MIB });
    // Still over 192 MiB, but not 48 MiB past what the collection left: no collection per batch.
    for (const rss of [200, 220, 248]) {
      p.state.rss = rss * MIB;
      expect(governor.check().collected).toBe(false);
    }
    p.state.rss = 249 * MIB;
    expect(governor.check().collected).toBe(true);
    expect(p.state.collections).toBe(2);
  });

  test("once a collection brings the process back under its limit, the limit applies again", () => {
    const p = fakeProcess(230 * MIB, 0);
    let freed = 30 * MIB;
    const governor = createMemoryGovernor({
      limitBytes: 192 * MIB,
      rss: p.rss,
      collect: () => {
        p.state.rss -= freed;
      },
    });
    governor.check(); // 230 → 200: the next collection waits for 200 + 48 MiB
    p.state.rss = 260 * MIB;
    freed = 100 * MIB;
    expect(governor.check()).toEqual({ collected: true, before: 260 * MIB, after: 160 * MIB });
    p.state.rss = 193 * MIB;
    expect(governor.check().collected).toBe(true);
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
    expect(() => createMemoryGovernor({ limitBytes: 1, headroomBytes: -1 })).toThrow(RangeError);
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
