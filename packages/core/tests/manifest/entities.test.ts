import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ENTITY_CONTRACTS, entityJsonSchema } from "../../src/contracts/index.ts";
import { ENTITY_TABLES, generateBatch } from "../../src/factories/index.ts";
import {
  ENTITIES,
  ENTITY_FK_PARENTS,
  ENTITY_PARENTS,
  ENTITY_REGISTRY,
  ENTITY_STATES,
  type Entity,
  MAX_CHILDREN_PER_PARENT,
  manifestJsonSchema,
  parseCostModel,
  Q11_CAPS,
  VOLUMETRY_ENTITIES,
} from "../../src/manifest/index.ts";
import { ENTITY_LEVELS, FK_PARENTS, PLAN_ENTITY_ORDER } from "../../src/pipeline/index.ts";
import { contextFor, profile, smallManifest } from "../factories/utils.ts";

// Every per-entity table of the code agrees with ENTITY_REGISTRY: a 14th entity added to the
// registry without its factory, contract, columns, caps, cost or published schema fails here (and
// without its table, foreign keys, RLS, policies and grants in
// packages/platform/tests/db/entity-registry.test.ts).
const REPO = join(import.meta.dir, "../../../..");
const sorted = (xs: Iterable<string>) => [...xs].sort();
const ALL = sorted(Object.keys(ENTITY_REGISTRY));

describe("entity registry", () => {
  test("ENTITIES is the registry in order, and that order is FK order", () => {
    expect([...ENTITIES]).toEqual(Object.keys(ENTITY_REGISTRY) as Entity[]);
    for (const [i, entity] of ENTITIES.entries()) {
      for (const parent of ENTITY_FK_PARENTS[entity]) {
        expect(ENTITIES.indexOf(parent)).toBeGreaterThanOrEqual(0);
        expect(ENTITIES.indexOf(parent)).toBeLessThan(i);
      }
    }
  });

  test("derived lists: volumetry keys, parents, FK parents, levels, plan order", () => {
    const stated: string[] = ENTITIES.filter((e) => ENTITY_REGISTRY[e].volume === "stated");
    expect([...VOLUMETRY_ENTITIES] as string[]).toEqual(stated);
    expect(ENTITIES.filter((e) => ENTITY_REGISTRY[e].volume === "tenant")).toEqual(["tenants"]);
    for (const e of ENTITIES) {
      expect([...ENTITY_PARENTS[e]]).toEqual([...ENTITY_REGISTRY[e].parents]);
      expect([...FK_PARENTS[e]]).toEqual([...ENTITY_REGISTRY[e].parents, ...ENTITY_REGISTRY[e].references]);
    }
    expect(sorted(Object.keys(ENTITY_LEVELS))).toEqual(ALL);
    expect(sorted(PLAN_ENTITY_ORDER)).toEqual(ALL);
  });

  test("hand-written per-entity tables have exactly the registry's keys", () => {
    expect(sorted(Object.keys(ENTITY_TABLES))).toEqual(ALL);
    expect(sorted(Object.keys(ENTITY_CONTRACTS))).toEqual(ALL);
    for (const e of ENTITIES) expect(ENTITY_TABLES[e].table).toBe(`banking.${e}`);
    for (const e of Object.keys(ENTITY_STATES)) expect(ALL).toContain(e);
    for (const [child, { parent }] of Object.entries(MAX_CHILDREN_PER_PARENT)) {
      expect(ENTITY_PARENTS[child as Entity] as readonly string[]).toContain(parent);
    }
  });

  test("every entity has a factory whose rows have its table's columns", () => {
    const ctx = contextFor(smallManifest(profile("dev", "banco-alfa")));
    for (const e of ENTITIES) {
      const { rows } = generateBatch(ctx, e, 0, 1);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toHaveLength(ENTITY_TABLES[e].columns.length);
    }
  });

  test("Q11 caps: every environment × mode caps every entity but tenants", () => {
    for (const modes of Object.values(Q11_CAPS)) {
      for (const row of Object.values(modes))
        expect(sorted(Object.keys(row))).toEqual(ALL.filter((e) => e !== "tenants"));
    }
  });

  test("the cost model prices every entity", () => {
    const path = join(REPO, "configs/finops/seed-data.cost-model.yaml");
    const model = parseCostModel(readFileSync(path, "utf8"), path);
    expect(sorted(Object.keys(model.entities))).toEqual(ALL);
  });

  test("published schemas: volumetry, flags, caps and one contract file per entity", () => {
    const schema = manifestJsonSchema() as {
      properties: { volumetry: { properties: object }; flags: { properties: object } };
    };
    expect(Object.keys(schema.properties.volumetry.properties)).toEqual([...VOLUMETRY_ENTITIES]);
    expect(Object.keys(schema.properties.flags.properties)).toEqual([...ENTITIES]);
    const files = readdirSync(join(REPO, "contracts/entities")).map((f) => f.replace(/\.schema\.json$/, ""));
    expect(sorted(files)).toEqual(ALL);
    for (const e of ENTITIES) expect(entityJsonSchema(e)).toBeDefined();
  });
});
