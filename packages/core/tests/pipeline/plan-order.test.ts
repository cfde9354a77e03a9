import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { createGenerationContext, generateBatch } from "../../src/factories/index.ts";
import { ENTITIES, manifestHash } from "../../src/manifest/index.ts";
import {
  compareEntityPlanOrder,
  comparePlanOrder,
  createRunProgress,
  digestBatch,
  ENTITY_LEVELS,
  PLAN_ENTITY_ORDER,
  planBatches,
  runDatasetDigest,
} from "../../src/pipeline/index.ts";
import { profile } from "../factories/utils.ts";

const REPO = join(import.meta.dir, "../../../..");
const alfa = profile("dev", "banco-alfa");

/** Every TypeScript source file under `dir` (node_modules and generated files left out). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) continue;
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts") && !name.endsWith(".gen.ts")) out.push(path);
  }
  return out;
}

describe("plan order: one definition", () => {
  test("planBatches publishes in comparePlanOrder order, entities in PLAN_ENTITY_ORDER", () => {
    const plan = planBatches({ ...alfa, batch_size: 7 });
    const sorted = [...plan.batches].sort(comparePlanOrder);
    expect(sorted).toEqual(plan.batches);
    expect(plan.batches.map((b) => b.planIndex)).toEqual(plan.batches.map((_, i) => i));
    const entities = [...new Set(plan.batches.map((b) => b.entity))];
    expect(entities).toEqual(PLAN_ENTITY_ORDER.filter((e) => entities.includes(e)));
    expect([...PLAN_ENTITY_ORDER].sort()).toEqual([...ENTITIES].sort());
  });

  test("FK level first, then ENTITIES position; unknown entities last, by name", () => {
    for (let i = 1; i < PLAN_ENTITY_ORDER.length; i++) {
      const [a, b] = [PLAN_ENTITY_ORDER[i - 1]!, PLAN_ENTITY_ORDER[i]!];
      expect(ENTITY_LEVELS[a] < ENTITY_LEVELS[b] || ENTITIES.indexOf(a) < ENTITIES.indexOf(b)).toBe(true);
    }
    expect(compareEntityPlanOrder("contracts", "zz_unknown")).toBeLessThan(0);
    expect(compareEntityPlanOrder("aa_unknown", "zz_unknown")).toBeLessThan(0);
    expect(comparePlanOrder({ entity: "loans", batchIndex: 2 }, { entity: "loans", batchIndex: 1 })).toBeGreaterThan(0);
  });

  test("the digest does not depend on the order batches come in; two equal batches are refused", () => {
    const plan = planBatches({ ...alfa, batch_size: 50 });
    const digested = plan.batches.map((b, i) => ({
      entity: b.entity,
      batchIndex: b.batchIndex,
      digest: createHash("sha256").update(String(i)).digest("hex"),
    }));
    const digest = runDatasetDigest(digested);
    expect(runDatasetDigest([...digested].reverse())).toBe(digest);
    const progress = createRunProgress(plan);
    for (const b of digested) {
      const p = plan.batches.find((x) => x.entity === b.entity && x.batchIndex === b.batchIndex)!;
      expect(progress.commit(b.entity, b.batchIndex, b.digest, p.to - p.from)).toBe(true);
    }
    expect(progress.datasetDigest()).toBe(digest as string);
    expect(() => runDatasetDigest([...digested, digested[0]!])).toThrow(/appears twice/);
  });

  test("no source file outside core/src/pipeline/plan.ts orders by ENTITIES or ENTITY_LEVELS itself", () => {
    const roots = ["packages", "services", "bench", "scripts"].map((d) => join(REPO, d));
    const offenders: string[] = [];
    const pattern = /ENTITIES\.indexOf\(|ENTITY_LEVELS\[[^\]]+\]\s*-\s*ENTITY_LEVELS\[|ENTITY_RANK/;
    for (const file of roots.flatMap(sources)) {
      const rel = relative(REPO, file);
      if (rel === "packages/core/src/pipeline/plan.ts" || rel.includes("/tests/")) continue;
      if (pattern.test(readFileSync(file, "utf8"))) offenders.push(rel);
    }
    expect(offenders).toEqual([]);
  });

  test("golden: the canonical dev dataset digest of banco-alfa with the fixed check key", () => {
    const fpeKey = new Uint8Array(createHash("sha256").update("semente-digest-check").digest());
    const ctx = createGenerationContext({
      manifest: alfa,
      manifestHash: manifestHash(alfa),
      fpeKey,
      keyVersion: alfa.key_version,
    });
    const digested = planBatches(alfa).batches.map((b) => ({
      entity: b.entity,
      batchIndex: b.batchIndex,
      digest: digestBatch(generateBatch(ctx, b.entity, b.from, b.to)),
    }));
    expect(runDatasetDigest(digested)).toBe("sha256:fc5df1f664ce6d1d37d50983bf05b6e8b693e4c901647f5a8e5e6e93c09e3094");
  });
});
