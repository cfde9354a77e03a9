import { SementeError } from "@semente/core/errors";
import { createSql, pgErrorCode } from "./client.ts";
import type { SetupDatabaseOptions } from "./types.ts";
import { DbRole } from "./types.ts";

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Serialises concurrent set-ups on the admin database (ALTER ROLE races on the catalog row). */
const SETUP_LOCK_KEY = [0x5e3e17e, 2] as const;

/** Attributes each role must have; re-applied when they drift (e.g. someone granted BYPASSRLS). */
const ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOREPLICATION";

function assertDatabaseName(name: string): void {
  if (!DATABASE_NAME.test(name)) {
    throw new SementeError("CONFIG_INVALID", `database name must match ${DATABASE_NAME.source}`);
  }
}

/**
 * Creates the login roles (idempotently, re-asserting their attributes) and the database
 * owned by `semente_owner`, with CONNECT limited to those roles. Needs a superuser URL. Local
 * dev auth is trust on loopback, so roles get no password there; `opts.passwords` (staging: from
 * the secret store, see `passwordsFromUrls`) sets the password of each role it names.
 */
export async function setupDatabase(opts: SetupDatabaseOptions): Promise<{ created: boolean }> {
  assertDatabaseName(opts.database);
  const admin = createSql(opts.adminUrl, { max: 1, applicationName: "semente-setup" });
  try {
    await admin.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${SETUP_LOCK_KEY[0]}, ${SETUP_LOCK_KEY[1]})`;
      for (const role of Object.values(DbRole)) {
        await tx.unsafe(`
          DO $$
          BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
              CREATE ROLE ${role} ${ROLE_ATTRIBUTES};
            ELSIF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}'
                            AND (NOT rolcanlogin OR rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb
                                 OR rolreplication)) THEN
              ALTER ROLE ${role} ${ROLE_ATTRIBUTES};
            END IF;
          EXCEPTION
            -- Another cluster-wide set-up (connected to another admin database) created it first.
            WHEN duplicate_object OR unique_violation THEN NULL;
          END
          $$`);
        const password = opts.passwords?.[role];
        if (password !== undefined && password !== "") {
          // %L quotes the literal server-side; the role name comes from the DbRole constant.
          const [row] = await tx<
            { stmt: string }[]
          >`select format('ALTER ROLE %I PASSWORD %L', ${role}::text, ${password}::text) as stmt`;
          await tx.unsafe(row?.stmt ?? "");
        }
      }
    });
    const [exists] = await admin`select 1 from pg_database where datname = ${opts.database}`;
    let created = false;
    if (exists === undefined) {
      try {
        await admin.unsafe(`CREATE DATABASE "${opts.database}" OWNER ${DbRole.OWNER}`);
        created = true;
      } catch (error) {
        // A concurrent set-up created the same database between our check and CREATE: same outcome.
        if (pgErrorCode(error) !== "42P04" && pgErrorCode(error) !== "23505") throw error;
      }
    }
    await admin.unsafe(`REVOKE CONNECT, TEMPORARY ON DATABASE "${opts.database}" FROM PUBLIC`);
    await admin.unsafe(`GRANT CONNECT ON DATABASE "${opts.database}" TO ${Object.values(DbRole).join(", ")}`);
    return { created };
  } catch (cause) {
    if (cause instanceof SementeError) throw cause;
    throw new SementeError("UNAVAILABLE", `database set-up of ${opts.database} failed: ${(cause as Error).message}`, {
      cause,
      retryable: false,
    });
  } finally {
    await admin.end();
  }
}

/**
 * The role passwords carried by the services' database URLs: a URL whose user is one of our roles
 * and that has a password sets that role's password in `setupDatabase`. URLs without a password
 * (dev defaults, trust on loopback) set nothing.
 */
export function passwordsFromUrls(urls: readonly string[]): Partial<Record<DbRole, string>> {
  const roles = new Set<string>(Object.values(DbRole));
  const passwords: Partial<Record<DbRole, string>> = {};
  for (const raw of urls) {
    const url = new URL(raw);
    const user = decodeURIComponent(url.username);
    if (roles.has(user) && url.password !== "") passwords[user as DbRole] = decodeURIComponent(url.password);
  }
  return passwords;
}

/** Drops a database, terminating its connections first (`WITH (FORCE)`). Needs a superuser URL. */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  assertDatabaseName(database);
  const admin = createSql(adminUrl, { max: 1, applicationName: "semente-setup" });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
