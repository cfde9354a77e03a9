/**
 * Reproduces the file layout of deploy/Dockerfile without a Docker engine: the build context is
 * the repository's tracked files minus .dockerignore; each stage's COPY lines (parsed from the
 * Dockerfile) are replayed into a directory per stage, and `RUN bun install …` lines are run
 * there. Used by scripts/tests/image-layout.test.ts.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix } from "node:path";

/** One instruction of a stage that the layout depends on. */
export type LayoutStep =
  | { kind: "copy"; from?: string; sources: string[]; dest: string }
  | { kind: "run"; command: string }
  | { kind: "workdir"; path: string };

export interface Stage {
  name: string;
  base: string;
  steps: LayoutStep[];
}

function stepOf(op: string, rest: string[]): LayoutStep | undefined {
  if (op === "WORKDIR") return { kind: "workdir", path: rest[0] as string };
  if (op === "RUN") return { kind: "run", command: rest.join(" ") };
  if (op !== "COPY") return undefined;
  const from = rest.find((w) => w.startsWith("--from="))?.slice("--from=".length);
  const args = rest.filter((w) => !w.startsWith("--"));
  return { kind: "copy", ...(from ? { from } : {}), sources: args.slice(0, -1), dest: args.at(-1) as string };
}

/** Parses FROM / WORKDIR / COPY / RUN of a Dockerfile (no line continuations in ours). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const op = (instruction as string).toUpperCase();
    if (op === "FROM") {
      const as = rest.findIndex((w) => w.toUpperCase() === "AS");
      stages.push({
        name: as >= 0 ? (rest[as + 1] as string) : String(stages.length),
        base: rest[0] as string,
        steps: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) throw new Error(`${op} before FROM`);
    const step = stepOf(op, rest);
    if (step !== undefined) stage.steps.push(step);
  }
  return stages;
}

/** Whether `path` (relative, posix) is excluded by .dockerignore `patterns` (it or an ancestor matches). */
export function ignored(path: string, patterns: string[]): boolean {
  const parts = path.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    if (patterns.some((p) => new Bun.Glob(p).match(prefix))) return true;
  }
  return false;
}

/** The build context: tracked files of `root` (a clean checkout) minus .dockerignore. */
export function buildContext(root: string): string[] {
  const tracked = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f !== "" && existsSync(join(root, f)));
  const ignoreFile = join(root, ".dockerignore");
  const patterns = existsSync(ignoreFile)
    ? readFileSync(ignoreFile, "utf8")
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"))
    : [];
  return tracked.filter((f) => !ignored(f, patterns));
}

/** COPY of one source from the build context (a file, or a directory's contents). */
function copyFromContext(root: string, context: string[], source: string, target: string, intoDir: boolean): void {
  const rel = posix.normalize(source).replace(/\/$/, "");
  const files = context.filter((f) => f === rel || f.startsWith(`${rel}/`));
  if (files.length === 0) throw new Error(`COPY ${source}: not in the build context`);
  for (const file of files) {
    let dest: string;
    if (file !== rel) dest = join(target, file.slice(rel.length + 1));
    else dest = intoDir ? join(target, posix.basename(file)) : target;
    mkdirSync(dirname(dest), { recursive: true });
    cpSync(join(root, file), dest);
    if (statSync(join(root, file)).mode & 0o111) execFileSync("chmod", ["+x", dest]);
  }
}

function copyStep(
  step: Extract<LayoutStep, { kind: "copy" }>,
  fs: string,
  workdir: string,
  stages: Record<string, string>,
  root: string,
  context: string[],
): void {
  const target = join(fs, posix.resolve(workdir, step.dest));
  const intoDir = step.dest.endsWith("/") || step.sources.length > 1;
  for (const source of step.sources) {
    if (step.from === undefined) {
      copyFromContext(root, context, source, target, intoDir);
      continue;
    }
    const fromRoot = stages[step.from];
    if (fromRoot === undefined) throw new Error(`COPY --from=${step.from}: no such stage`);
    cpSync(join(fromRoot, source), target, { recursive: true, verbatimSymlinks: true });
  }
}

/** Replays the stages into `out/<stage>/` (each a container root). */
export function materialize(
  root: string,
  dockerfile: string,
  out: string,
): { stages: Record<string, string>; context: string[] } {
  const context = buildContext(root);
  const stages: Record<string, string> = {};
  for (const stage of parseDockerfile(readFileSync(dockerfile, "utf8"))) {
    const fs = join(out, stage.name);
    mkdirSync(fs, { recursive: true });
    stages[stage.name] = fs;
    let workdir = "/";
    for (const step of stage.steps) {
      if (step.kind === "workdir") {
        workdir = posix.resolve(workdir, step.path);
        mkdirSync(join(fs, workdir), { recursive: true });
      } else if (step.kind === "run") {
        execFileSync("/bin/sh", ["-c", step.command], { cwd: join(fs, workdir), stdio: "pipe" });
      } else {
        copyStep(step, fs, workdir, stages, root, context);
      }
    }
  }
  return { stages, context };
}
