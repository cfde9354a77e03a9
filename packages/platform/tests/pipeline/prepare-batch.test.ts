import { describe, expect, test } from "bun:test";
import { generateBatch } from "@semente/core/factories";
import { ENTITIES } from "@semente/core/manifest";
import { digestBatch } from "@semente/core/pipeline";
import { contextFor, profile, smallManifest } from "../../../core/tests/factories/utils.ts";
import { copyChunks, WritePath } from "../../src/pipeline/index.ts";
import { prepareBatch } from "../../src/pipeline/prepare-batch.ts";

describe("prepared batch", () => {
  // 60-month loans (from 2022 on: the IOF table starts in 2021): 2,400 installments, so parts of
  // 1,000 rows cut loans in the middle.
  const ctx = contextFor(
    smallManifest(profile("perf", "banco-alfa"), { reference_datetime: "2027-06-15T12:00:00Z" }, 60),
  );

  test("prepare-batch - parts give the whole batch's digest, COPY bytes and rows, for every entity and path", () => {
    for (const entity of ENTITIES) {
      const n = ctx.counts[entity];
      for (const [from, to] of [
        [0, n],
        [Math.floor(n / 3), n],
      ] as const) {
        if (to <= from) continue;
        const whole = generateBatch(ctx, entity, from, to);
        const copy = prepareBatch(ctx, entity, from, to, WritePath.copy);
        expect(copy.digest).toBe(digestBatch(whole));
        expect(copy.rows).toBe(to - from);
        expect(copy.validated).toBe(to - from);
        expect(Buffer.concat(copy.copy ?? []).equals(Buffer.concat(copyChunks(whole.rows)))).toBe(true);
        expect(copy.batch).toBeUndefined();
        const unnest = prepareBatch(ctx, entity, from, to, WritePath.unnest);
        expect(unnest.digest).toBe(copy.digest);
        expect(unnest.batch).toEqual(whole);
        expect(unnest.copy).toBeUndefined();
      }
    }
  });
});
