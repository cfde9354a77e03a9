/**
 * Keeps a long-lived worker's resident size bounded. Between batches, JavaScriptCore collects
 * lazily: the rows, digests and COPY text of finished batches stay resident until the heap
 * grows enough to trigger a collection, so a seeder's RSS climbs with every batch it handles
 * and only falls back when the collector decides to run. A governor checks the resident size
 * after each unit of work and, past its limit, runs one full collection then, between batches,
 * where pausing costs nothing but the collection itself (tens of milliseconds for a seeder's
 * heap, a few times per million rows: bench/throughput.ts prints how many).
 */

/** Options of {@link createMemoryGovernor}. */
export interface MemoryGovernorOptions {
  /** Resident size, in bytes, above which a full collection runs; 0 turns the governor off. */
  limitBytes: number;
  /**
   * When a collection leaves the process still over the limit (its live data, or memory the
   * allocator keeps, is that large), the next collection waits until the resident size has grown
   * this much past what the last one left, instead of running after every unit of work for
   * nothing. @default limitBytes / 4
   */
  headroomBytes?: number;
  /** @default process.memoryUsage.rss */
  rss?: () => number;
  /** A full, synchronous collection. @default Bun.gc(true) */
  collect?: () => void;
}

/** What one check did. */
export interface MemoryCheck {
  /** True when the resident size was over the limit and a collection ran. */
  collected: boolean;
  /** Resident size before the check, in bytes. */
  before: number;
  /** Resident size after the collection (equal to `before` when none ran), in bytes. */
  after: number;
}

/** A resident-size limit enforced between units of work. */
export interface MemoryGovernor {
  /** Call after each unit of work (a batch handled): collects when over the limit. */
  check(): MemoryCheck;
  /** Collections run so far. */
  readonly collections: number;
}

/** Builds a governor; see {@link MemoryGovernorOptions}. */
export function createMemoryGovernor(options: MemoryGovernorOptions): MemoryGovernor {
  for (const [name, value] of [
    ["limit", options.limitBytes],
    ["headroom", options.headroomBytes ?? 0],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`memory ${name} must be a non-negative number of bytes, got ${value}`);
    }
  }
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  const collect = options.collect ?? (() => Bun.gc(true));
  const headroom = options.headroomBytes ?? options.limitBytes / 4;
  let threshold = options.limitBytes;
  let collections = 0;
  return {
    check() {
      const before = rss();
      if (options.limitBytes === 0 || before <= threshold) return { collected: false, before, after: before };
      collect();
      collections++;
      const after = rss();
      threshold = after > options.limitBytes ? after + headroom : options.limitBytes;
      return { collected: true, before, after };
    },
    get collections() {
      return collections;
    },
  };
}
