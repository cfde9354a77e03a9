import { SementeError } from "@semente/core/errors";
import { createSql } from "./client.ts";
import { migrate } from "./migrate.ts";
import { setupDatabase } from "./setup.ts";
import { DbRole, type Sql, type TransactionSql } from "./types.ts";

/** Login passwords per role; an empty or missing one leaves that role's password as it is. */
export type RolePasswords = Partial<Record<DbRole, string>>;

/**
 * Sets the passwords of the Semente login roles. The statement is built by PostgreSQL itself
 * (`format('%I', '%L')`), so a password is always a quoted literal, whatever it contains.
 * Returns the roles whose password was set.
 */
export async function setRolePasswords(sql: Sql | TransactionSql, passwords: RolePasswords): Promise<DbRole[]> {
  const set: DbRole[] = [];
  for (const role of Object.values(DbRole)) {
    const password = passwords[role];
    if (password === undefined || password === "") continue;
    if (password.length < 16) {
      throw new SementeError("CONFIG_INVALID", `the password of ${role} must have at least 16 characters`);
    }
    const [row] = await sql<
      { stmt: string }[]
    >`SELECT format('ALTER ROLE %I PASSWORD %L', ${role}::text, ${password}::text) AS stmt`;
    await sql.unsafe((row as { stmt: string }).stmt);
    set.push(role);
  }
  return set;
}

/** Options of {@link bootstrapDatabase}. */
export interface BootstrapDatabaseOptions {
  /** Superuser URL (roles and the database). */
  adminUrl: string;
  /** The schema owner's URL; its database is the one created and migrated. */
  migrationUrl: string;
  passwords: RolePasswords;
  migrationsDir: string;
}

/** What {@link bootstrapDatabase} did. */
export interface BootstrapDatabaseResult {
  database: string;
  created: boolean;
  passwordsSet: DbRole[];
  applied: string[];
}

/**
 * Roles (re-asserting their attributes), passwords, the database, then pending migrations as the
 * owner: everything `docker compose` needs before a service connects. Idempotent.
 */
export async function bootstrapDatabase(options: BootstrapDatabaseOptions): Promise<BootstrapDatabaseResult> {
  const database = decodeURIComponent(new URL(options.migrationUrl).pathname.replace(/^\//, ""));
  const { created } = await setupDatabase({ adminUrl: options.adminUrl, database });
  const admin = createSql(options.adminUrl, { max: 1, applicationName: "semente-bootstrap" });
  let passwordsSet: DbRole[];
  try {
    passwordsSet = await setRolePasswords(admin, options.passwords);
  } finally {
    await admin.end();
  }
  const owner = createSql(options.migrationUrl, { max: 1, applicationName: "semente-bootstrap" });
  try {
    const { applied } = await migrate(owner, { dir: options.migrationsDir });
    return { database, created, passwordsSet, applied };
  } finally {
    await owner.end();
  }
}
