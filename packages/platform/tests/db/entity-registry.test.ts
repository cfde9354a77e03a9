import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ENTITIES, ENTITY_FK_PARENTS, type Entity } from "@semente/core/manifest";
import { BANKING_TABLES } from "../../src/db/index.ts";
import { PURGE_ORDER } from "../../src/lifecycle/purge.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";

// The migrated banking schema agrees with the core entity registry: its tables, its foreign keys,
// and per table the RLS, policies, grants and maintenance trigger every tenant table carries. A
// 14th entity whose migration misses one of them fails here (see CONTRIBUTING, "Adding an entity").
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase("entity_registry");
});
afterAll(async () => {
  await db.drop();
});

/** Rows of `query` as "table → sorted distinct values". */
async function perTable(query: string): Promise<Map<string, string[]>> {
  const rows = await db.adminSql.unsafe<{ t: string; v: string }[]>(query);
  const out = new Map<string, string[]>();
  for (const { t, v } of rows) out.set(t, [...new Set([...(out.get(t) ?? []), v])].sort());
  return out;
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

describe("entity registry vs the banking schema", () => {
  test("BANKING_TABLES and the purge order are the registry's", () => {
    expect([...BANKING_TABLES]).toEqual([...ENTITIES]);
    expect(PURGE_ORDER.slice(0, -1)).toEqual([...ENTITIES].reverse());
  });

  test("the schema's tables are exactly the registry's entities", async () => {
    const rows = await db.adminSql<{ name: string }[]>`
      select relname as name from pg_class where relnamespace = 'banking'::regnamespace and relkind in ('r', 'p')`;
    expect(sorted(rows.map((r) => r.name))).toEqual(sorted(ENTITIES));
  });

  test("every foreign key is a registry FK parent; only the implicit tenants parent may lack one", async () => {
    const refs = await perTable(`
      select conrelid::regclass::text as t, confrelid::regclass::text as v from pg_constraint
      where contype = 'f' and connamespace = 'banking'::regnamespace`);
    for (const entity of ENTITIES) {
      const inDb = (refs.get(`banking.${entity}`) ?? []).map((r) => r.replace(/^banking\./, ""));
      const registry: readonly Entity[] = ENTITY_FK_PARENTS[entity];
      expect({ entity, extra: inDb.filter((p) => !registry.includes(p as Entity)) }).toEqual({ entity, extra: [] });
      const missing = registry.filter((p) => !inDb.includes(p) && p !== "tenants");
      expect({ entity, missing }).toEqual({ entity, missing: [] });
    }
  });

  test("every banking table has forced RLS, the tenant policies, the grants and the maintenance trigger", async () => {
    const rls = await db.adminSql<{ name: string; on: boolean; forced: boolean }[]>`
      select relname as name, relrowsecurity as on, relforcerowsecurity as forced from pg_class
      where relnamespace = 'banking'::regnamespace and relkind in ('r', 'p')`;
    for (const r of rls) expect(r).toEqual({ name: r.name, on: true, forced: true });
    const policies = await perTable(`
      select tablename as t, policyname || ':' || permissive as v from pg_policies where schemaname = 'banking'`);
    const grants = await perTable(`
      select table_name as t, grantee || ':' || privilege_type as v from information_schema.role_table_grants
      where table_schema = 'banking' and grantee in ('semente_seeder', 'semente_verifier', 'semente_app')`);
    const triggers = await perTable(`
      select tgrelid::regclass::text as t, tgname as v from pg_trigger
      where not tgisinternal and tgrelid::regclass::text like 'banking.%'`);
    for (const entity of ENTITIES) {
      expect({ entity, policies: policies.get(entity) }).toEqual({
        entity,
        policies: expect.arrayContaining([
          "owner_tenant:PERMISSIVE",
          "seeder_bound_run:PERMISSIVE",
          "seeder_purge_only:RESTRICTIVE",
          "verifier_read:PERMISSIVE",
        ]),
      });
      expect({ entity, grants: grants.get(entity) }).toEqual({
        entity,
        grants: ["semente_seeder:DELETE", "semente_seeder:INSERT", "semente_seeder:SELECT", "semente_verifier:SELECT"],
      });
      expect({ entity, triggers: triggers.get(`banking.${entity}`) }).toEqual({
        entity,
        triggers: expect.arrayContaining(["refuse_writes_under_maintenance"]),
      });
      // Uniform: whatever a later migration adds to one banking table, it adds to all of them.
      expect(policies.get(entity)).toEqual(policies.get("tenants"));
      expect(triggers.get(`banking.${entity}`)).toEqual(triggers.get("banking.tenants"));
    }
  });
});
