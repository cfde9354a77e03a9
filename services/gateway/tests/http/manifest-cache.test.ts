import { afterAll, describe, expect, test } from "bun:test";
import { cacheManifestInputs, createParsePool } from "../../src/http/manifest-cache.ts";
import { manifestInput } from "../../src/http/manifest-input.ts";
import { profile } from "../utils.ts";

const pool = createParsePool({ workers: 1 });
afterAll(() => pool.close());

/** A body of `keys` unknown keys after a valid manifest: linear but real parse work. */
function heavy(keys: number): string {
  return `${profile("dev", "banco-alfa")}\n${Array.from({ length: keys }, (_, i) => `k${i}: ${i}`).join("\n")}\n`;
}

describe("manifest parser pool", () => {
  test("manifest cache - the same text parses once into a frozen manifest equal to an in-process parse", async () => {
    const parse = cacheManifestInputs(pool.parse);
    const job = { kind: "body", text: profile("dev", "banco-alfa"), json: false } as const;
    const first = await parse(job);
    expect(await parse(job)).toBe(first);
    expect(first).toEqual(manifestInput(job));
    expect(Object.isFrozen(first.parsed?.manifest.metadata)).toBe(true);
    expect(await parse({ ...job, text: `${job.text}\n# another body\n` })).not.toBe(first);
  });

  test("manifest cache - a broken manifest gives the same problem every time, rebuilt as a SementeError", async () => {
    const parse = cacheManifestInputs(pool.parse, { maxEntries: 1 });
    const text = profile("dev", "banco-alfa").replace("key_version: 1", "key_version: 0");
    const [a, b] = [await parse({ kind: "body", text, json: false }), await parse({ kind: "body", text, json: false })];
    expect((a.error as { code: string }).code).toBe("VALIDATION_FAILED");
    expect((a.error as Error).name).toBe("SementeError");
    expect(b).toBe(a);
  });

  test("parse pool - a costly parse runs off the event loop: timers keep firing meanwhile", async () => {
    const started = performance.now();
    const parsing = pool.parse({ kind: "body", text: heavy(40_000), json: false });
    const lags: number[] = [];
    let done = false;
    void parsing.finally(() => {
      done = true;
    });
    while (!done) {
      const started = performance.now();
      await Bun.sleep(5);
      lags.push(performance.now() - started - 5);
    }
    const input = await parsing;
    const elapsed = performance.now() - started;
    expect((input.error as { extensions: Record<string, unknown> }).extensions.issues_omitted).toBe(40_000 - 50);
    // On the main thread the parse would stall every timer for its whole duration; on a worker, the
    // loop keeps turning (the bound is loose: the machine running the tests is shared).
    expect(lags.length).toBeGreaterThan(3);
    expect(Math.max(...lags)).toBeLessThan(elapsed / 3);
  });

  test("parse pool - a parse over its time budget is a 413 and the worker is replaced", async () => {
    const strict = createParsePool({ workers: 1, timeoutMs: 1000 });
    try {
      const slow = strict.parse({ kind: "body", text: heavy(150_000), json: false });
      await expect(slow).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE", status: 413 });
      const next = await strict.parse({ kind: "body", text: profile("dev", "banco-alfa"), json: false });
      expect(next.parsed?.manifest.metadata.tenant).toBe("banco-alfa");
    } finally {
      strict.close();
    }
  });

  test("parse pool - a token's full queue is 429 while others still queue; a closed pool is 503", async () => {
    const small = createParsePool({ workers: 1, maxQueuedPerOwner: 2 });
    const job = { kind: "body", text: profile("dev", "banco-alfa"), json: false } as const;
    const first = small.parse(job, "a");
    const second = small.parse(job, "a");
    // The worker is still loading: two jobs of "a" wait, its third finds its queue full.
    await expect(small.parse(job, "a")).rejects.toMatchObject({ code: "RATE_LIMITED", extensions: { retry_after: 1 } });
    const other = small.parse(job, "b");
    await Promise.all([first, second, other]);
    small.close();
    await expect(small.parse(job)).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });

  test("parse pool - waiting jobs are served round-robin by owner: a burst does not starve another token", async () => {
    const fair = createParsePool({ workers: 1 });
    try {
      const job = (i: number) =>
        ({ kind: "body", text: `${profile("dev", "banco-alfa")}\n# ${i}\n`, json: false }) as const;
      const done: string[] = [];
      const track = (label: string, p: Promise<unknown>) => p.then(() => done.push(label));
      const burst = Array.from({ length: 6 }, (_, i) => track(`greedy-${i}`, fair.parse(job(i), "greedy")));
      const polite = track("polite", fair.parse(job(99), "polite"));
      await Promise.all([...burst, polite]);
      // The worker was still loading when all seven arrived: greedy's first job, then polite's.
      expect(done.indexOf("polite")).toBe(1);
    } finally {
      fair.close();
    }
  });
});
