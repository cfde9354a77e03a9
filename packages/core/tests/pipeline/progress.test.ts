import { describe, expect, test } from "bun:test";
import { datasetDigest } from "../../src/determinism/index.ts";
import { parseManifest } from "../../src/manifest/index.ts";
import { BatchState, createRunProgress, digestHex, normalizeDigest, planBatches } from "../../src/pipeline/index.ts";
import { readProfile } from "../manifest/utils.ts";

const alfa = parseManifest(readProfile("configs/seed_profiles/dev/banco-alfa.yaml")).manifest;
const plan = planBatches({ ...alfa, batch_size: 5 });
const fakeDigest = (i: number) => `sha256:${i.toString(16).padStart(64, "0")}`;

describe("createRunProgress", () => {
  test("progress - releases only the lowest uncommitted level, within the in-flight limit", () => {
    const p = createRunProgress(plan);
    expect(p.currentLevel()).toBe(0);
    const first = p.releasable(4);
    expect(first.map((b) => b.entity)).toEqual(["tenants"]);
    p.markPublished(first[0]!);
    expect(p.releasable(4)).toEqual([]);
    p.commit("tenants", 0, fakeDigest(0), 1);
    expect(p.currentLevel()).toBe(1);
    const level1 = p.releasable(3);
    expect(level1).toHaveLength(3);
    expect(level1.every((b) => b.level === 1)).toBe(true);
    for (const b of level1) p.markPublished(b);
    expect(p.releasable(3)).toEqual([]);
    expect(p.releasable(4)).toHaveLength(1);
    expect(p.inFlight()).toHaveLength(3);
    expect(p.releasable(4)[0]?.level).toBe(1);
  });

  test("progress - never releases a child level while a parent batch is uncommitted", () => {
    const p = createRunProgress(plan);
    const customers = plan.batches.find((b) => b.entity === "customers")!.level;
    for (const b of plan.batches) {
      if (b.level <= customers && !(b.entity === "customers" && b.batchIndex === 1)) {
        p.commit(b.entity, b.batchIndex, fakeDigest(b.planIndex), b.to - b.from);
      }
    }
    const next = p.releasable(4);
    expect(next.map((b) => `${b.entity}#${b.batchIndex}`)).toEqual(["customers#1"]);
  });

  test("progress - a commit whose row count differs from the range is refused", () => {
    const p = createRunProgress(plan);
    expect(p.commit("tenants", 0, fakeDigest(1), 2)).toBe(false);
    expect(p.commit("nope", 0, fakeDigest(1), 1)).toBe(false);
    expect(p.get("tenants", 0)?.state).toBe(BatchState.PENDING);
  });

  test("progress - completes with the dataset digest of batch digests in plan order", () => {
    const p = createRunProgress(plan);
    expect(() => p.datasetDigest()).toThrow();
    // Commit in reverse order: the digest must not depend on commit order.
    for (const b of [...plan.batches].reverse())
      p.commit(b.entity, b.batchIndex, digestHex(fakeDigest(b.planIndex)), b.to - b.from);
    expect(p.isComplete()).toBe(true);
    expect(p.rowsWritten()).toBe(plan.totalRows);
    expect(p.datasetDigest()).toBe(datasetDigest(plan.batches.map((b) => fakeDigest(b.planIndex))));
    const perCustomer = p.perEntity().find((e) => e.entity === "customers");
    expect(perCustomer).toEqual({ entity: "customers", planned: 200, written: 200, batches: 40, committedBatches: 40 });
  });

  test("progress - dead-lettered batches are reported and never released again", () => {
    const p = createRunProgress(plan);
    p.markPublished(plan.batches[0]!);
    p.markDeadLettered("tenants", 0);
    expect(p.deadLettered().map((b) => b.entity)).toEqual(["tenants"]);
    expect(p.releasable(1)).toEqual([]);
  });

  test("progress - digests normalize between bare hex and sha256: forms", () => {
    const hex = "a".repeat(64);
    expect(normalizeDigest(hex)).toBe(`sha256:${hex}`);
    expect(digestHex(`sha256:${hex}`)).toBe(hex);
    expect(() => normalizeDigest("sha256:xyz")).toThrow(TypeError);
  });
});
