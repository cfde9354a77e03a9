import { describe, expect, test } from "bun:test";
import {
  batchCount,
  ENTITIES,
  ENTITY_PARENTS,
  parseManifest,
  plannedRows,
  resolveManifest,
  TIMEOUT_DEFAULTS,
} from "../../src/manifest/index.ts";
import { readProfile } from "./utils.ts";

const dev = parseManifest(readProfile("configs/seed_profiles/dev/banco-alfa.yaml")).manifest;
const staging = parseManifest(readProfile("configs/seed_profiles/staging/banco-beta.yaml")).manifest;

describe("plannedRows and batchCount", () => {
  test("counts one tenant row, the volumetry and derived installments", () => {
    const { perEntity, total } = plannedRows(dev);
    expect(perEntity.tenants).toBe(1);
    expect(perEntity.customers).toBe(200);
    expect(perEntity.installments).toBe(100 * 12);
    expect(total).toBe(ENTITIES.reduce((sum, e) => sum + perEntity[e], 0));
    expect(total).toBe(3406);
  });

  test("batches never mix entities: ceil(rows / batch_size) each", () => {
    const { perEntity } = plannedRows(dev);
    const expected = ENTITIES.reduce((sum, e) => sum + Math.ceil(perEntity[e] / dev.batch_size), 0);
    expect(batchCount(dev)).toBe(expected);
    expect(batchCount({ ...dev, batch_size: 1 })).toBe(3406);
  });

  test("ENTITIES is in foreign-key order", () => {
    for (const [child, parents] of Object.entries(ENTITY_PARENTS)) {
      for (const parent of parents) {
        expect(ENTITIES.indexOf(parent)).toBeLessThan(ENTITIES.indexOf(child as (typeof ENTITIES)[number]));
      }
    }
  });
});

describe("resolveManifest", () => {
  test("fills per-mode timeout defaults without touching the input", () => {
    const bare = structuredClone(staging);
    delete bare.timeouts;
    expect(resolveManifest(bare).timeouts).toEqual(TIMEOUT_DEFAULTS.dr);
    expect(bare.timeouts).toBeUndefined();
    const baseline = structuredClone(dev);
    baseline.timeouts = { lock_timeout_ms: 2_000 };
    expect(resolveManifest(baseline).timeouts).toEqual({ statement_timeout_ms: 30_000, lock_timeout_ms: 2_000 });
  });

  test("documented defaults: baseline 30s/5s, load and dr 90s/15s", () => {
    expect(TIMEOUT_DEFAULTS).toEqual({
      baseline: { statement_timeout_ms: 30_000, lock_timeout_ms: 5_000 },
      load: { statement_timeout_ms: 90_000, lock_timeout_ms: 15_000 },
      dr: { statement_timeout_ms: 90_000, lock_timeout_ms: 15_000 },
    });
  });
});
