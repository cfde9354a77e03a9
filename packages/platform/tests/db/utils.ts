import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIGRATIONS_DIR } from "../../src/db/index.ts";

/** A temporary copy of the repository's migrations folder, edited by the test. */
export interface MigrationsCopy {
  dir: string;
  write(file: string, sql: string): void;
  append(file: string, sql: string): void;
  remove(): void;
}

export function copyMigrations(): MigrationsCopy {
  const dir = mkdtempSync(join(tmpdir(), "semente-migrations-"));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return {
    dir,
    write: (file, sql) => writeFileSync(join(dir, file), sql),
    append: (file, sql) => writeFileSync(join(dir, file), readFileSync(join(dir, file), "utf8") + sql),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
