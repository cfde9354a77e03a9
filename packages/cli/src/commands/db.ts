import { COMMON_VARS, loadConfig, str } from "@semente/platform/config";
import {
  createSql,
  MIGRATIONS_DIR,
  migrate,
  passwordsFromUrls,
  pendingMigrations,
  setupDatabase,
} from "@semente/platform/db";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";

const VARS = {
  ADMIN_DATABASE_URL: COMMON_VARS.ADMIN_DATABASE_URL,
  MIGRATION_DATABASE_URL: COMMON_VARS.MIGRATION_DATABASE_URL,
  SEMENTE_SEEDER_DATABASE_URL: { ...COMMON_VARS.SEMENTE_SEEDER_DATABASE_URL, aliases: ["DATABASE_URL"] },
  SEMENTE_APP_DATABASE_URL: { ...COMMON_VARS.SEMENTE_APP_DATABASE_URL, aliases: ["APP_DATABASE_URL"] },
  SEMENTE_VERIFIER_DATABASE_URL: { ...COMMON_VARS.SEMENTE_VERIFIER_DATABASE_URL, aliases: ["VERIFIER_DATABASE_URL"] },
  MIGRATIONS_DIR: str("Folder of versioned SQL migrations", MIGRATIONS_DIR),
};

const USAGE = `usage: semente db <setup|migrate|status>

  setup    create the roles (semente_owner, semente_seeder, semente_app, semente_verifier) and the
           database, idempotently; connects as ADMIN_DATABASE_URL (a superuser), the only command
           that does. A role URL with a password (MIGRATION_DATABASE_URL, SEMENTE_SEEDER_DATABASE_URL,
           SEMENTE_APP_DATABASE_URL, SEMENTE_VERIFIER_DATABASE_URL) sets that role's password
  migrate  apply pending migrations as MIGRATION_DATABASE_URL (the schema owner); re-runnable
  status   list pending migrations; exit 5 when any is pending`;

function databaseOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  if (name === "") throw new UsageError("MIGRATION_DATABASE_URL names no database");
  return name;
}

export const dbCommand: Command = {
  name: "db",
  summary: "set up roles and the database, apply migrations, show migration status",
  usage: USAGE,
  async run(argv) {
    const { positionals } = parse(argv, {});
    const [action] = positionals;
    const config = loadConfig(VARS);
    if (action === "setup") {
      const database = databaseOf(config.MIGRATION_DATABASE_URL);
      const passwords = passwordsFromUrls([
        config.MIGRATION_DATABASE_URL,
        config.SEMENTE_SEEDER_DATABASE_URL,
        config.SEMENTE_APP_DATABASE_URL,
        config.SEMENTE_VERIFIER_DATABASE_URL,
      ]);
      await setupDatabase({ adminUrl: config.ADMIN_DATABASE_URL, database, passwords });
      out(`database ${database} and roles ready`);
      return 0;
    }
    if (action !== "migrate" && action !== "status") throw new UsageError(USAGE);
    const sql = createSql(config.MIGRATION_DATABASE_URL, { max: 1 });
    try {
      if (action === "migrate") {
        const { applied } = await migrate(sql, { dir: config.MIGRATIONS_DIR });
        out(applied.length === 0 ? "migrations: up to date" : `migrations: applied ${applied.join(", ")}`);
        return 0;
      }
      const pending = await pendingMigrations(sql, config.MIGRATIONS_DIR);
      out(
        pending.length === 0
          ? "migrations: up to date"
          : `migrations pending: ${pending.map((f) => f.file).join(", ")}`,
      );
      return pending.length === 0 ? 0 : 5;
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
};
