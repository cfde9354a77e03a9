import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { applyDotenv, COMMON_VARS, inCi, int, loadConfig, str } from "@semente/platform/config";
import { SementeError } from "@semente/core/errors";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";
import { APP_DATABASE_URL } from "./seed.ts";
import { VERIFIER_DATABASE_URL } from "./verify.ts";

const USAGE = `usage: semente up [--seeders 2] [--dir .semente] [--timeout 60] [--no-evidence]

Starts the local stack as background processes against the local PostgreSQL and NATS: gateway,
planner, N seeders and the evidence service (when present). Logs go to <dir>/logs/<name>.log, pid
files to <dir>/pids/<name>.pid; returns once every /readyz answers 200. Already running processes
(live pid file) are left alone. Stop them with \`semente down\`.

Never half-starts: if a process it started fails readiness, every process this invocation started
is stopped and the cause (service, variables) is printed. In isolated dev (CI unset) it reads the
settings of .env.local (SEMENTE_DEV_KEY_FILE) itself, the process environment winning, so it works
from a fresh shell after the quickstart; the dev key itself stays in that file.`;

/** Variables of `semente up` (each service also reads its own; the process environment is passed on). */
export const UP_VARS = {
  SEMENTE_APP_DATABASE_URL: APP_DATABASE_URL,
  SEMENTE_VERIFIER_DATABASE_URL: VERIFIER_DATABASE_URL,
  SEMENTE_SEEDER_DATABASE_URL: COMMON_VARS.SEMENTE_SEEDER_DATABASE_URL,
  GATEWAY_PORT: COMMON_VARS.GATEWAY_PORT,
  PLANNER_HEALTH_PORT: int("Health port of the planner started by `semente up`", "8081", 1, 65535),
  EVIDENCE_HEALTH_PORT: int("Health port of the evidence service started by `semente up`", "8084", 1, 65535),
  SEEDER_HEALTH_PORT_BASE: int("Seeder i (1-based) listens on base + i", "8090", 1, 65000),
  SEMENTE_REPO_ROOT: str("Repository root holding services/", resolve(import.meta.dir, "../../../..")),
} as const;

/** One process of the local stack. */
export interface ServiceSpec {
  name: string;
  entry: string;
  env: Record<string, string>;
  readyUrl: string;
}

/** The processes `up` starts, in start order. */
export function stackServices(
  seeders: number,
  env: Record<string, string | undefined> = process.env,
  withEvidence = true,
): ServiceSpec[] {
  const v = loadConfig(UP_VARS, env);
  const root = v.SEMENTE_REPO_ROOT;
  const specs: ServiceSpec[] = [
    {
      name: "gateway",
      entry: join(root, "services/gateway/src/main.ts"),
      env: { SEMENTE_APP_DATABASE_URL: v.SEMENTE_APP_DATABASE_URL, GATEWAY_PORT: String(v.GATEWAY_PORT) },
      readyUrl: `http://127.0.0.1:${v.GATEWAY_PORT}/readyz`,
    },
    {
      name: "planner",
      entry: join(root, "services/planner/src/main.ts"),
      env: {
        SEMENTE_APP_DATABASE_URL: v.SEMENTE_APP_DATABASE_URL,
        SEMENTE_SEEDER_DATABASE_URL: v.SEMENTE_SEEDER_DATABASE_URL,
        SEMENTE_VERIFIER_DATABASE_URL: v.SEMENTE_VERIFIER_DATABASE_URL,
        HEALTH_PORT: String(v.PLANNER_HEALTH_PORT),
      },
      readyUrl: `http://127.0.0.1:${v.PLANNER_HEALTH_PORT}/readyz`,
    },
  ];
  for (let i = 1; i <= seeders; i++) {
    const port = v.SEEDER_HEALTH_PORT_BASE + i;
    specs.push({
      name: `seeder-${i}`,
      entry: join(root, "services/seeder/src/main.ts"),
      env: { SEMENTE_SEEDER_DATABASE_URL: v.SEMENTE_SEEDER_DATABASE_URL, HEALTH_PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    });
  }
  const evidence = join(root, "services/evidence/src/main.ts");
  if (withEvidence && existsSync(evidence)) {
    specs.push({
      name: "evidence",
      entry: evidence,
      env: {
        SEMENTE_APP_DATABASE_URL: v.SEMENTE_APP_DATABASE_URL,
        EVIDENCE_HEALTH_PORT: String(v.EVIDENCE_HEALTH_PORT),
      },
      readyUrl: `http://127.0.0.1:${v.EVIDENCE_HEALTH_PORT}/readyz`,
    });
  }
  return specs;
}

/**
 * The environment `up` passes on: in isolated dev (CI unset) the settings of the dev key file
 * (`.env.local`, e.g. SEMENTE_ISOLATED_DEV, KEY_PROVIDER, GATEWAY_JWT_SECRET) fill what `env`
 * leaves unset. The dev key is not copied: the local key provider reads it from the file.
 */
export function upEnvironment(env: Record<string, string | undefined>): Record<string, string | undefined> {
  if (inCi(env)) return { ...env };
  const file = env.SEMENTE_DEV_KEY_FILE || ".env.local";
  if (!existsSync(file)) return { ...env };
  const fromFile: Record<string, string | undefined> = {};
  applyDotenv(file, fromFile);
  delete fromFile.SEMENTE_DEV_KEY;
  return { ...fromFile, ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) };
}

/** SIGTERM, then SIGKILL after `graceMs`; how the process ended. */
export async function stopProcess(pid: number, graceMs: number): Promise<"stopped" | "killed" | "gone"> {
  if (!isAlive(pid)) return "gone";
  process.kill(pid, "SIGTERM");
  const started = performance.now();
  while (performance.now() - started < graceMs) {
    if (!isAlive(pid)) return "stopped";
    await Bun.sleep(100);
  }
  process.kill(pid, "SIGKILL");
  return "killed";
}

/** What a service's fatal start-up line (its last JSON line with level fatal) says went wrong. */
export function startupCause(log: string): { code: string; text: string } | null {
  const lines = log.split("\n").reverse();
  for (const line of lines) {
    if (!line.trimStart().startsWith("{")) continue;
    let parsed: {
      level?: unknown;
      code?: unknown;
      reason?: unknown;
      variables?: { variable: string; problem: string }[];
    };
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    if (parsed.level !== "fatal" && parsed.level !== 60) continue;
    const variables = (parsed.variables ?? []).map((v) => `${v.variable}: ${v.problem}`);
    const text = variables.length > 0 ? variables.join("; ") : String(parsed.reason ?? parsed.code ?? "fatal");
    return { code: String(parsed.code ?? "INTERNAL"), text };
  }
  return null;
}

/** Whether `pid` is a live process (signal 0 probes without delivering anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // ESRCH: no such process; EPERM would mean alive but not ours, which a pid file of ours never is.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid recorded for `name`, when its file exists and parses. */
export function readPid(dir: string, name: string): number | null {
  const file = join(dir, "pids", `${name}.pid`);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}

/** Why `spec` exited before it was ready: its fatal line's cause, else its last log lines. */
function exitedDuringStartup(spec: ServiceSpec, log: string): SementeError {
  const cause = startupCause(tail(log, 40));
  if (cause === null) {
    return new SementeError("UNAVAILABLE", `${spec.name} exited during start-up; last log lines:\n${tail(log)}`);
  }
  const code = cause.code === "CONFIG_INVALID" || cause.code === "DEV_KEY_FORBIDDEN" ? cause.code : "UNAVAILABLE";
  return new SementeError(code, `${spec.name} failed to start: ${cause.text}`);
}

async function waitReady(spec: ServiceSpec, pid: number, log: string, timeoutMs: number): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (!isAlive(pid)) throw exitedDuringStartup(spec, log);
    try {
      const response = await fetch(spec.readyUrl, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) return;
    } catch (error) {
      // Not listening yet: keep polling until the deadline.
      if (!(error instanceof Error)) throw error;
    }
    await Bun.sleep(200);
  }
  throw new SementeError("UNAVAILABLE", `${spec.name} not ready after ${timeoutMs} ms (${spec.readyUrl}); see ${log}`);
}

/** Starts one service detached, its output appended to its log file; returns its pid. */
export function startService(
  spec: ServiceSpec,
  dir: string,
  env: Record<string, string | undefined> = process.env,
): number {
  const log = join(dir, "logs", `${spec.name}.log`);
  const fd = openSync(log, "a");
  try {
    const child = spawn(process.execPath, [spec.entry], {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { ...env, ...spec.env },
    });
    if (child.pid === undefined) throw new SementeError("INTERNAL", `could not start ${spec.name}`);
    child.unref();
    writeFileSync(join(dir, "pids", `${spec.name}.pid`), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export const upCommand: Command = {
  name: "up",
  summary: "start gateway, planner, seeders and evidence locally (background, logs in .semente/)",
  usage: USAGE,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        seeders: { type: "string" },
        dir: { type: "string" },
        timeout: { type: "string" },
        "no-evidence": { type: "boolean" },
      },
      false,
    );
    const seeders = Number(values.seeders ?? "2");
    if (!Number.isInteger(seeders) || seeders < 1 || seeders > 16) throw new UsageError("--seeders must be 1–16");
    const timeoutMs = Number(values.timeout ?? "60") * 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError("--timeout must be a number of seconds");
    const dir = resolve(values.dir ?? ".semente");
    mkdirSync(join(dir, "logs"), { recursive: true });
    mkdirSync(join(dir, "pids"), { recursive: true });
    const env = upEnvironment(process.env);
    const started: { name: string; pid: number }[] = [];
    try {
      for (const spec of stackServices(seeders, env, !values["no-evidence"])) {
        const existing = readPid(dir, spec.name);
        if (existing !== null && isAlive(existing)) {
          out(`${spec.name.padEnd(10)} already running (pid ${existing})`);
          continue;
        }
        const pid = startService(spec, dir, env);
        started.push({ name: spec.name, pid });
        await waitReady(spec, pid, join(dir, "logs", `${spec.name}.log`), timeoutMs);
        out(`${spec.name.padEnd(10)} ready (pid ${pid}, ${spec.readyUrl})`);
      }
    } catch (error) {
      // Never half-started: stop what this invocation started, newest first, then report why.
      for (const { name, pid } of started.reverse()) {
        const result = await stopProcess(pid, 10_000);
        rmSync(join(dir, "pids", `${name}.pid`), { force: true });
        out(`${name.padEnd(10)} ${result} (pid ${pid})`);
      }
      throw error;
    }
    out(`logs in ${join(dir, "logs")}; stop with \`semente down\``);
    return 0;
  },
};
