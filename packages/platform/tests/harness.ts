import { COMMON_VARS, loadConfig } from "../src/config/index.ts";
import { createSql, DbRole, dropDatabase, MIGRATIONS_DIR, migrate, setupDatabase } from "../src/db/index.ts";
import type { Sql } from "../src/db/index.ts";

/** A throwaway database with one pool per role; `drop()` ends the pools and drops it. */
export interface TestDatabase {
  /** Database name, `semente_t_<prefix>_<pid>_<n>`. */
  name: string;
  /** semente_owner: DDL, still under forced RLS. */
  ownerSql: Sql;
  /** semente_seeder: the data-plane role. */
  seederSql: Sql;
  /** semente_app: the control-plane role. */
  appSql: Sql;
  /** semente_verifier: the read-only verification role. */
  verifierSql: Sql;
  /** Superuser on the test database: bypasses RLS, for fixtures and for negative tests only. */
  adminSql: Sql;
  urls: { owner: string; seeder: string; app: string; verifier: string; admin: string };
  drop(): Promise<void>;
}

/** Options of `createTestDatabase`. */
export interface TestDatabaseOptions {
  /**
   * Apply the migrations of `migrationsDir` before returning.
   * @default true
   */
  migrate?: boolean;
  /** @default the repository's migrations folder */
  migrationsDir?: string;
}

let counter = 0;

function urlFor(base: string, user: string, database: string): string {
  const u = new URL(base);
  u.username = user;
  u.password = "";
  u.pathname = `/${database}`;
  return u.toString();
}

/** The superuser URL tests use (ADMIN_DATABASE_URL, default postgres@127.0.0.1:5432/postgres). */
export function adminUrl(): string {
  return loadConfig({ ADMIN_DATABASE_URL: COMMON_VARS.ADMIN_DATABASE_URL }).ADMIN_DATABASE_URL;
}

/**
 * Creates a uniquely named database owned by semente_owner (roles ensured by setupDatabase) and
 * migrates it. Call `drop()` in `afterAll`.
 */
export async function createTestDatabase(prefix: string, opts: TestDatabaseOptions = {}): Promise<TestDatabase> {
  counter += 1;
  const slug = prefix.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const name = `semente_t_${slug}_${process.pid}_${counter}`.slice(0, 63);
  const admin = adminUrl();
  // A previous crashed run with the same pid may have left it behind.
  await dropDatabase(admin, name);
  await setupDatabase({ adminUrl: admin, database: name });
  const user = new URL(admin).username || "postgres";
  const urls = {
    owner: urlFor(admin, DbRole.OWNER, name),
    seeder: urlFor(admin, DbRole.SEEDER, name),
    app: urlFor(admin, DbRole.APP, name),
    verifier: urlFor(admin, DbRole.VERIFIER, name),
    admin: urlFor(admin, user, name),
  };
  const pool = { max: 4, idleTimeoutS: 5, applicationName: `semente-test-${slug}` };
  const ownerSql = createSql(urls.owner, pool);
  const seederSql = createSql(urls.seeder, pool);
  const appSql = createSql(urls.app, pool);
  const verifierSql = createSql(urls.verifier, pool);
  const adminSql = createSql(urls.admin, pool);
  const drop = async () => {
    // A bounded end: a connection stuck in an unsettled COPY (porsager/postgres#1173) must not keep
    // the drop waiting; DROP ... WITH (FORCE) then terminates whatever is left.
    await Promise.all([ownerSql, seederSql, appSql, verifierSql, adminSql].map((s) => s.end({ timeout: 5 })));
    await dropDatabase(admin, name);
  };
  if (opts.migrate ?? true) {
    try {
      await migrate(ownerSql, { dir: opts.migrationsDir ?? MIGRATIONS_DIR });
    } catch (error) {
      await drop();
      throw error;
    }
  }
  return { name, ownerSql, seederSql, appSql, verifierSql, adminSql, urls, drop };
}

/**
 * Inserts a `running` run of `tenant` (as the superuser) and returns its id: the data-plane role
 * gets a tenant context only for a running run (`withTenant(db.seederSql, tenant, fn, { runId })`).
 */
export async function runningRun(db: TestDatabase, tenant: string, environment = "dev"): Promise<string> {
  const id = crypto.randomUUID();
  await db.adminSql`
    insert into seed.runs (id, environment, tenant_id, mode, state, manifest_hash, manifest_version, manifest,
                           reference_datetime, key_version, principal, started_at)
    values (${id}, ${environment}, ${tenant}, 'baseline', 'running', ${"0".repeat(64)}, '1', '{}',
            '2025-01-01T00:00:00Z', 1, 'test', now())`;
  return id;
}
