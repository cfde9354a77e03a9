import { COMMON_VARS, loadConfig } from "../packages/platform/src/config/index.ts";
import {
  createSql,
  DbRole,
  dropDatabase,
  MIGRATIONS_DIR,
  migrate,
  type Sql,
  setupDatabase,
} from "../packages/platform/src/db/index.ts";
import { urlFor } from "./throughput-manifest.ts";

/** A migrated throwaway database of one bench process. */
export interface BenchDatabase {
  urls: { owner: string; seeder: string; app: string; verifier: string; admin: string };
  /** Superuser pool on it (reads seed.* afterwards). */
  superuser: Sql;
  /** Ends the pools and drops the database. */
  drop(): Promise<void>;
}

/** Creates roles and `database` from scratch (dropping a leftover), migrated as the owner. */
export async function createBenchDatabase(database: string): Promise<BenchDatabase> {
  const admin = loadConfig({ ADMIN_DATABASE_URL: COMMON_VARS.ADMIN_DATABASE_URL }).ADMIN_DATABASE_URL;
  const urls = {
    owner: urlFor(admin, DbRole.OWNER, database),
    seeder: urlFor(admin, DbRole.SEEDER, database),
    app: urlFor(admin, DbRole.APP, database),
    verifier: urlFor(admin, DbRole.VERIFIER, database),
    admin: urlFor(admin, new URL(admin).username || "postgres", database),
  };
  await dropDatabase(admin, database);
  await setupDatabase({ adminUrl: admin, database });
  const owner = createSql(urls.owner, { max: 2, applicationName: "semente-bench" });
  const superuser = createSql(urls.admin, { max: 2, applicationName: "semente-bench" });
  const drop = async () => {
    await owner.end({ timeout: 5 });
    await superuser.end({ timeout: 5 });
    await dropDatabase(admin, database);
  };
  try {
    await migrate(owner, { dir: MIGRATIONS_DIR });
  } catch (error) {
    await drop();
    throw error;
  }
  return { urls, superuser, drop };
}
