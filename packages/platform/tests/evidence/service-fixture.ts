/** Shared setup of the evidence build and service tests: a test database, a WORM folder, dev keys and the cost model. */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCostModel } from "../../src/config/index.ts";
import { createEvidenceService, createFsWormStore, type EvidenceService } from "../../src/evidence/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness.ts";
import { devKeys, quietLog } from "./utils.ts";

export interface EvidenceFixture {
  /** The test database (set by the file's `beforeAll`). */
  readonly db: TestDatabase;
  /** The WORM folder; each service of {@link service} stores below it. */
  dir: string;
  keys: ReturnType<typeof devKeys>;
  costModel: ReturnType<typeof loadCostModel>;
  scope: { environment: string; tenant: string };
  /** An evidence service over the test database storing in `dir/<sub>`. */
  service(sub: string): EvidenceService;
}

/** Creates the database before the file's tests and drops it (and the WORM folder) after them. */
export function useEvidenceFixture(database: string, dirPrefix: string): EvidenceFixture {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const keys = devKeys();
  const costModel = loadCostModel();
  beforeAll(async () => {
    db = await createTestDatabase(database);
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get db() {
      return db;
    },
    dir,
    keys,
    costModel,
    scope: { environment: "dev", tenant: "banco-alfa" },
    service: (sub) =>
      createEvidenceService({
        sql: db.appSql,
        store: createFsWormStore({ dir: join(dir, sub) }),
        keys,
        log: quietLog(),
        costModel,
      }),
  };
}
