import { describe, expect, test } from "bun:test";
import type { Manifest } from "@semente/core/manifest";
import { BatchState, createRunProgress, FK_PARENTS, planBatches, type RunProgress } from "@semente/core/pipeline";
import { ReleaseBy, releasable, releasableByEntity } from "../src/release.ts";

const volumetry = {
  users: { count: 2, cap: 10 },
  consultants: { count: 2, cap: 10 },
  account_categories: { count: 2, cap: 10 },
  suppliers: { count: 2, cap: 10 },
  customers: { count: 4, cap: 10 },
  addresses: { count: 4, cap: 10 },
  bank_accounts: { count: 4, cap: 10 },
  loans: { count: 2, cap: 10, term_months: 2 },
  financial_transactions: { count: 4, cap: 10 },
  credit_limits: { count: 4, cap: 10 },
  contracts: { count: 2, cap: 10 },
};
const plan = planBatches({ batch_size: 2, volumetry } as unknown as Pick<Manifest, "batch_size" | "volumetry">);

function commitEntities(progress: RunProgress, entities: readonly string[]): void {
  for (const b of progress.batches) {
    if (entities.includes(b.entity)) progress.commit(b.entity, b.batchIndex, "0".repeat(64), b.to - b.from);
  }
}

describe("release", () => {
  test("release - per entity: a child is released once its own parents are committed, before its level completes", () => {
    const progress = createRunProgress(plan);
    commitEntities(progress, ["tenants", "users", "account_categories", "consultants", "suppliers", "customers"]);
    // bank_accounts done, addresses and credit_limits (same level) not: loans only need customers + bank_accounts.
    commitEntities(progress, ["bank_accounts"]);
    const out = releasableByEntity(progress, 100).map((b) => b.entity);
    expect(out).toContain("loans");
    expect(out).toContain("addresses");
    expect(out).not.toContain("installments");
    expect(out).not.toContain("contracts");
    for (const entity of new Set(out)) {
      for (const parent of FK_PARENTS[entity]) {
        expect(progress.batches.filter((b) => b.entity === parent).every((b) => b.state === BatchState.COMMITTED)).toBe(
          true,
        );
      }
    }
    // The whole-level rule holds loans back until addresses and credit_limits are committed too.
    const byLevel = releasable(progress, { baseline: false, maxInFlight: 100, releaseBy: ReleaseBy.level });
    expect(byLevel.map((b) => b.entity)).not.toContain("loans");
  });

  test("release - per entity keeps at most maxInFlight in flight, in plan order", () => {
    const progress = createRunProgress(plan);
    const first = releasableByEntity(progress, 3);
    expect(first.map((b) => b.planIndex)).toEqual([0]);
    progress.markPublished(first[0] as (typeof first)[number]);
    expect(releasableByEntity(progress, 1)).toEqual([]);
    commitEntities(progress, ["tenants"]);
    const next = releasableByEntity(progress, 2);
    expect(next).toHaveLength(2);
    expect(next.map((b) => b.planIndex)).toEqual([...next.map((b) => b.planIndex)].sort((a, b) => a - b));
  });

  test("release - a baseline run is always released one batch at a time in plan order", () => {
    const progress = createRunProgress(plan);
    commitEntities(progress, ["tenants"]);
    const out = releasable(progress, { baseline: true, maxInFlight: 1, releaseBy: ReleaseBy.entity });
    expect(out).toHaveLength(1);
    expect(out[0]?.planIndex).toBe(1);
  });
});
