#!/usr/bin/env bun
/**
 * Delivery gate: every GitHub Action a workflow uses is pinned by a full commit SHA (a tag can be
 * moved; a SHA cannot), and package.json declares `packageManager` (bun@x.y.z) so Renovate and
 * Corepack-aware tools see Bun. Local actions (`./…`) and `docker://…@sha256:` images are allowed.
 *
 *   bun scripts/lint-workflows.ts [repo-root]
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const PINNED = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/;

/** Problems of one workflow's text: each unpinned `uses:` with its line. */
export function unpinnedActions(text: string, file: string): string[] {
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /^\s*(?:-\s*)?uses:\s*["']?([^"'\s#]+)/.exec(line);
    if (m === null) return;
    const ref = m[1] as string;
    if (ref.startsWith("./") || /^docker:\/\/.+@sha256:[0-9a-f]{64}$/.test(ref)) return;
    if (!PINNED.test(ref)) problems.push(`${file}:${i + 1}: ${ref} is not pinned by commit SHA`);
  });
  return problems;
}

export function lintWorkflows(root: string): string[] {
  const problems: string[] = [];
  const dir = join(root, ".github", "workflows");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : [];
  for (const f of files)
    problems.push(...unpinnedActions(readFileSync(join(dir, f), "utf8"), `.github/workflows/${f}`));
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { packageManager?: string };
  if (!/^bun@\d+\.\d+\.\d+$/.test(pkg.packageManager ?? "")) {
    problems.push("package.json: packageManager must be bun@<exact version>");
  }
  return problems;
}

if (import.meta.main) {
  const problems = lintWorkflows(resolve(process.argv[2] ?? join(import.meta.dir, "..")));
  for (const p of problems) console.error(`lint-workflows: ${p}`);
  if (problems.length > 0) process.exit(1);
  console.log("lint-workflows: actions pinned by SHA, packageManager set");
}
