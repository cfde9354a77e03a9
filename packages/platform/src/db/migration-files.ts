import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SementeError } from "@semente/core/errors";
import type { MigrationFile } from "./types.ts";

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const NO_TRANSACTION = /^--\s*semente:no-transaction\s*$/;

/** The repository's migrations folder. */
export const MIGRATIONS_DIR = join(import.meta.dir, "..", "..", "..", "..", "migrations");

/**
 * Reads `NNNN_name.sql` files of `dir` in version order. Other files (README.md) are ignored;
 * two files with the same number are refused, since the order would be ambiguous.
 */
export function readMigrationFiles(dir: string): MigrationFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (cause) {
    throw new SementeError("INTERNAL", `cannot read migrations folder ${dir}`, { cause });
  }
  const files: MigrationFile[] = [];
  const seen = new Map<number, string>();
  for (const file of names.sort()) {
    const m = FILE_PATTERN.exec(file);
    if (!m) continue;
    const version = Number(m[1]);
    const previous = seen.get(version);
    if (previous !== undefined) {
      throw new SementeError("MIGRATION_DRIFT", `migrations ${previous} and ${file} share version ${version}`);
    }
    seen.set(version, file);
    const sql = readFileSync(join(dir, file), "utf8").replaceAll("\r\n", "\n");
    const firstLine = sql.slice(0, sql.indexOf("\n") === -1 ? sql.length : sql.indexOf("\n"));
    files.push({
      version,
      name: m[2] as string,
      file,
      checksum: createHash("sha256").update(sql).digest("hex"),
      transactional: !NO_TRANSACTION.test(firstLine),
      sql,
    });
  }
  return files;
}

/**
 * Splits a script into statements at top-level semicolons, skipping comments and quoted text
 * ('…', "…", $tag$…$tag$). Needed for no-transaction files: PostgreSQL runs a multi-statement
 * simple query as one implicit transaction, which CREATE INDEX CONCURRENTLY refuses.
 */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  const push = (end: number) => {
    const text = script.slice(start, end).trim();
    if (stripComments(text).trim() !== "") out.push(text);
    start = end + 1;
  };
  while (i < n) {
    const skipped = skipLiteral(script, i);
    if (skipped !== undefined) {
      i = skipped;
    } else {
      if (script[i] === ";") push(i);
      i++;
    }
  }
  push(n);
  return out;
}

/**
 * Where the comment, quoted text or dollar-quoted body that starts at `i` ends (the end of the
 * script when unterminated); undefined when none starts there.
 */
function skipLiteral(script: string, i: number): number | undefined {
  const n = script.length;
  const c = script[i];
  const next = script[i + 1];
  if (c === "-" && next === "-") {
    const eol = script.indexOf("\n", i);
    return eol === -1 ? n : eol + 1;
  }
  if (c === "/" && next === "*") {
    const end = script.indexOf("*/", i + 2);
    return end === -1 ? n : end + 2;
  }
  if (c === "'" || c === '"') return skipQuoted(script, i, c);
  if (c !== "$") return undefined;
  const tag = /^\$[A-Za-z_]*\$/.exec(script.slice(i));
  if (!tag) return undefined;
  const end = script.indexOf(tag[0], i + tag[0].length);
  return end === -1 ? n : end + tag[0].length;
}

function skipQuoted(s: string, from: number, quote: string): number {
  let i = from + 1;
  while (i < s.length) {
    if (s[i] === quote) {
      // A doubled quote is an escaped quote inside the literal.
      if (s[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return s.length;
}

function stripComments(text: string): string {
  return text.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "");
}
