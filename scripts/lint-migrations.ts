#!/usr/bin/env bun
/**
 * Migration lint gate (squawk, from npm): expand/contract safety of every migration newer than
 * the baseline in migrations/.lint-baseline (files up to it were applied before the gate and can
 * never be edited). Transactional files are linted with --assume-in-transaction, as our runner
 * wraps each in one; `-- semente:no-transaction` files without it. A non-CONCURRENTLY index on a
 * table the file did not create, a NOT NULL column without default, a column type change, a
 * rename, a drop, a constraint added without NOT VALID, … fail.
 *
 *   bun scripts/lint-migrations.ts [migrations-dir]
 *
 * Rules left out, and why:
 *  - prefer-robust-stmts: a transactional file is atomic (nothing to re-run part way); the
 *    migrations README asks no-transaction files for IF NOT EXISTS and review keeps it.
 *  - require-lock-timeout, require-statement-timeout: the gate's point is which statements take
 *    long exclusive locks; a timeout does not make those safe, it only aborts them.
 *  - ban-char-field, prefer-bigint-over-int, prefer-identity: column style, not expand/contract.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const EXCLUDED_RULES = [
  "prefer-robust-stmts",
  "require-lock-timeout",
  "require-statement-timeout",
  "ban-char-field",
  "prefer-bigint-over-int",
  "prefer-identity",
] as const;

const ROOT = resolve(import.meta.dir, "..");
const SQUAWK = join(ROOT, "node_modules", ".bin", "squawk");

/** Migration files newer than the baseline version, split by how the runner applies them. */
export function filesToLint(dir: string): { transactional: string[]; standalone: string[] } {
  const baselineFile = join(dir, ".lint-baseline");
  const baseline = existsSync(baselineFile) ? Number(readFileSync(baselineFile, "utf8").trim()) : 0;
  const out = { transactional: [] as string[], standalone: [] as string[] };
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d{4})_.+\.sql$/.exec(file);
    if (m === null || Number(m[1]) <= baseline) continue;
    const path = join(dir, file);
    const first = readFileSync(path, "utf8").split(/\r?\n/, 1)[0] ?? "";
    (/^--\s*semente:no-transaction\s*$/.test(first) ? out.standalone : out.transactional).push(path);
  }
  return out;
}

/** Runs squawk; returns its findings (one line each, gcc format) — empty when clean. */
export function lintMigrations(dir: string): string[] {
  const { transactional, standalone } = filesToLint(dir);
  const findings: string[] = [];
  const run = (files: string[], extra: string[]) => {
    if (files.length === 0) return;
    const args = [
      "--reporter",
      "gcc",
      "--pg-version",
      "15.0",
      `--exclude=${EXCLUDED_RULES.join(",")}`,
      ...extra,
      ...files,
    ];
    try {
      execFileSync(SQUAWK, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; status?: number };
      const lines = `${e.stdout ?? ""}${e.stderr ?? ""}`.split("\n").filter((l) => l.trim() !== "");
      findings.push(...(lines.length > 0 ? lines : [`squawk exited with ${e.status}`]));
    }
  };
  run(transactional, ["--assume-in-transaction"]);
  run(standalone, []);
  return findings;
}

if (import.meta.main) {
  const dir = resolve(process.argv[2] ?? join(ROOT, "migrations"));
  const findings = lintMigrations(dir);
  for (const f of findings) console.error(`lint-migrations: ${f}`);
  if (findings.length > 0) process.exit(1);
  const { transactional, standalone } = filesToLint(dir);
  console.log(`lint-migrations: ${transactional.length + standalone.length} file(s) after the baseline clean`);
}
