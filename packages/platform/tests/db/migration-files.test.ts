import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isSementeError } from "@semente/core/errors";
import { MIGRATIONS_DIR, readMigrationFiles, splitStatements } from "../../src/db/index.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function folder(entries: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), "semente-files-"));
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("migration files", () => {
  test("reads NNNN_name.sql in order, ignores other files and flags no-transaction files", () => {
    const files = readMigrationFiles(
      folder({
        "0002_b.sql": "-- semente:no-transaction\ncreate index concurrently x on t (a);\n",
        "0001_a.sql": "create table t (a int);\n",
        "README.md": "docs",
        "notes.sql": "select 1;",
      }),
    );
    expect(files.map((f) => [f.version, f.name, f.transactional])).toEqual([
      [1, "a", true],
      [2, "b", false],
    ]);
    expect(files[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  test("checksums ignore CRLF versus LF line endings", () => {
    const [lf] = readMigrationFiles(folder({ "0001_a.sql": "select 1;\nselect 2;\n" }));
    rmSync(dir as string, { recursive: true, force: true });
    const [crlf] = readMigrationFiles(folder({ "0001_a.sql": "select 1;\r\nselect 2;\r\n" }));
    expect(crlf?.checksum).toBe(lf?.checksum as string);
  });

  test("refuses two files with the same version", () => {
    const d = folder({ "0001_a.sql": "select 1;", "0001_b.sql": "select 2;" });
    let code = "";
    try {
      readMigrationFiles(d);
    } catch (error) {
      if (isSementeError(error)) code = error.code;
    }
    expect(code).toBe("MIGRATION_DRIFT");
  });

  test("the repository's foundation files come first and no-transaction files are rerun-safe", () => {
    const files = readMigrationFiles(MIGRATIONS_DIR);
    expect(files.slice(0, 5).map((f) => f.version)).toEqual([1, 2, 3, 4, 5]);
    expect(files.filter((f) => !f.transactional).every((f) => /CONCURRENTLY IF NOT EXISTS/.test(f.sql))).toBe(true);
  });
});

describe("splitStatements", () => {
  test("splits at top-level semicolons only", () => {
    const script = [
      "-- header; with a semicolon",
      "create index concurrently if not exists a on t (x);",
      "/* block; comment */ select 'it''s; fine', \"odd;name\" from t;",
      "do $body$ begin perform 1; end $body$;",
      "select $$a;b$$",
    ].join("\n");
    expect(splitStatements(script)).toEqual([
      "-- header; with a semicolon\ncreate index concurrently if not exists a on t (x)",
      "/* block; comment */ select 'it''s; fine', \"odd;name\" from t",
      "do $body$ begin perform 1; end $body$",
      "select $$a;b$$",
    ]);
  });

  test("drops empty and comment-only statements", () => {
    expect(splitStatements(";;\n-- only a comment\n")).toEqual([]);
  });
});
