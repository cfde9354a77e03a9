import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SementeError } from "@semente/core/errors";
import {
  backoffDelay,
  classifyFailure,
  FailureAction,
  IN_PROCESS_BACKOFF,
  retriesExhausted,
  retryTransient,
  runBackoffDelay,
} from "../../src/pipeline/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("pipeline_retry");
});
afterAll(async () => {
  await db?.drop();
});

/** A real PostgresError with the given SQLSTATE, raised by the server. */
async function pgError(sqlstate: string): Promise<unknown> {
  return db.seederSql.unsafe(`DO $$ BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = '${sqlstate}'; END $$`).then(
    () => {
      throw new Error("expected the server to raise");
    },
    (error: unknown) => error,
  );
}

describe("backoff", () => {
  test("retry - full jitter draws below the exponential bound, capped at maxMs", () => {
    const policy = { baseMs: 100, maxMs: 1_000 };
    const bounds: number[] = [];
    const top = (bound: number) => {
      bounds.push(bound);
      return bound - 1;
    };
    expect([1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, policy, top))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(bounds).toEqual([101, 201, 401, 801, 1001, 1001]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  test("retry - the default jitter stays inside [0, bound] and varies", () => {
    const draws = Array.from({ length: 200 }, () => backoffDelay(4, IN_PROCESS_BACKOFF));
    expect(draws.every((d) => Number.isInteger(d) && d >= 0 && d <= 400)).toBe(true);
    expect(new Set(draws).size).toBeGreaterThan(10);
  });
});

describe("classification", () => {
  test("retry - serialization, deadlock, lock and statement timeouts retry in-process", async () => {
    for (const code of ["40001", "40P01", "55P03", "57014"]) {
      const c = classifyFailure(await pgError(code));
      expect(c.action).toBe(FailureAction.retry);
      expect(c.problem.detail).toContain(code);
    }
  });

  test("retry - constraint violations are poison and their message (row values) is not echoed", async () => {
    const c = classifyFailure(await pgError("23505"));
    expect(c.action).toBe(FailureAction.poison);
    expect(c.problem.sqlstate).toBe("23505");
    expect(JSON.stringify(c.problem)).not.toContain("boom");
  });

  test("retry - connection loss and admin shutdown are nak'ed for a later delivery", async () => {
    expect(classifyFailure(await pgError("57P01")).action).toBe(FailureAction.nak);
    expect(classifyFailure(Object.assign(new Error("gone"), { code: "CONNECTION_CLOSED" })).action).toBe(
      FailureAction.nak,
    );
    expect(classifyFailure(new TypeError("unexpected")).action).toBe(FailureAction.nak);
  });

  test("retry - SementeError retryable maps to nak, non-retryable to term", () => {
    const down = new SementeError("KEY_PROVIDER_UNAVAILABLE", "Vault down", { retryable: true });
    const poison = new SementeError("KEY_VERSION_MISMATCH", "rotated");
    expect(classifyFailure(down)).toMatchObject({ action: "nak", problem: { code: "KEY_PROVIDER_UNAVAILABLE" } });
    expect(classifyFailure(poison)).toMatchObject({ action: "poison", problem: { code: "KEY_VERSION_MISMATCH" } });
  });
});

describe("retryTransient", () => {
  test("retry - a real serialization failure is retried until the transaction succeeds", async () => {
    const seen: number[] = [];
    const result = await retryTransient(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) await db.seederSql.unsafe(`DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END $$`);
        return "done";
      },
      { policy: { baseMs: 1, maxMs: 5 } },
    );
    expect(result).toBe("done");
    expect(seen).toEqual([1, 2, 3]);
  });

  test("retry - gives up after `attempts` and rethrows the last transient error", async () => {
    let calls = 0;
    const delays: number[] = [];
    const error = await retryTransient(
      async () => {
        calls++;
        await db.seederSql.unsafe(`DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40P01'; END $$`);
      },
      { attempts: 3, policy: { baseMs: 1, maxMs: 2 }, onRetry: (_e, _n, d) => delays.push(d) },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(calls).toBe(3);
    expect(delays.length).toBe(2);
    expect((error as { code?: string }).code).toBe("40P01");
  });

  test("retry - a non-transient failure is rethrown at once", async () => {
    let calls = 0;
    const error = await retryTransient(async () => {
      calls++;
      throw new SementeError("VALIDATION_FAILED", "bad batch");
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(calls).toBe(1);
    expect(error).toBeInstanceOf(SementeError);
  });
});

describe("run retry policy (manifest rate_limit.backoff)", () => {
  const policy = { initialMs: 200, maxMs: 10_000, multiplier: 2, maxRetries: 5 };

  test("run backoff - grows by the multiplier up to max_ms, with equal jitter in [bound/2, bound]", () => {
    const bounds = [200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000];
    bounds.forEach((bound, i) => {
      for (const key of ["run:customers:0", "run:customers:1", "run:loans:7"]) {
        const d = runBackoffDelay(i + 1, policy, key);
        expect(d).toBeGreaterThanOrEqual(bound - Math.floor(bound / 2));
        expect(d).toBeLessThanOrEqual(bound);
      }
    });
  });

  test("run backoff - the jitter is a pure function of batch and attempt, and spreads batches apart", () => {
    expect(runBackoffDelay(3, policy, "r:customers:0")).toBe(runBackoffDelay(3, policy, "r:customers:0"));
    const spread = new Set(Array.from({ length: 20 }, (_, i) => runBackoffDelay(3, policy, `r:customers:${i}`)));
    expect(spread.size).toBeGreaterThan(10);
  });

  test("run backoff - max_retries 5 means six attempts; a poison batch is dead within the schedule's sum", () => {
    expect([1, 2, 3, 4, 5].map((a) => retriesExhausted(a, policy))).toEqual([false, false, false, false, false]);
    expect(retriesExhausted(6, policy)).toBe(true);
    expect(retriesExhausted(1, { ...policy, maxRetries: 0 })).toBe(true);
    const schedule = [1, 2, 3, 4, 5].reduce((sum, a) => sum + runBackoffDelay(a, policy, "r:x:0"), 0);
    expect(schedule).toBeLessThanOrEqual(200 + 400 + 800 + 1_600 + 3_200);
  });
});
