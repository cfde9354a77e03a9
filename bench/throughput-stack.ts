import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import type { Sql } from "../packages/platform/src/db/index.ts";

/** Repository root: the services run from it, as `semente up` runs them. */
export const ROOT = resolve(import.meta.dir, "..");

/** A port nothing listens on right now. */
export function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = server.port as number;
  server.stop(true);
  return port;
}

/** One service process of the bench stack. */
export interface Service {
  name: string;
  proc: Subprocess;
  log: string;
  readyUrl: string;
}

/** Spawns `bun <entry>` with `env` only, stdout and stderr into `<logDir>/<name>.log`. */
export function spawnService(
  name: string,
  entry: string,
  env: Record<string, string>,
  logDir: string,
  healthPort: number,
): Service {
  const log = join(logDir, `${name}.log`);
  const proc = Bun.spawn([process.execPath, join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdout: Bun.file(log),
    stderr: Bun.file(`${log}.err`),
  });
  return { name, proc, log, readyUrl: `http://127.0.0.1:${healthPort}/readyz` };
}

/** Polls the service's /readyz until it answers 200; throws if the process exits or time runs out. */
export async function waitReady(service: Service, timeoutMs = 30_000): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (service.proc.exitCode !== null) {
      throw new Error(`${service.name} exited with ${service.proc.exitCode} during start-up; see ${service.log}`);
    }
    try {
      if ((await fetch(service.readyUrl, { signal: AbortSignal.timeout(1_000) })).status === 200) return;
    } catch (error) {
      // Not listening yet: keep polling until the deadline.
      if (!(error instanceof Error)) throw error;
    }
    await Bun.sleep(100);
  }
  throw new Error(`${service.name} not ready at ${service.readyUrl}; see ${service.log}`);
}

/** SIGTERM every live process, wait up to `graceMs`, then SIGKILL what is left. */
export async function stopServices(services: readonly Service[], graceMs = 10_000): Promise<void> {
  for (const s of services) if (s.proc.exitCode === null) s.proc.kill("SIGTERM");
  await Promise.race([Promise.all(services.map((s) => s.proc.exited)), Bun.sleep(graceMs)]);
  for (const s of services) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
  await Promise.race([Promise.all(services.map((s) => s.proc.exited)), Bun.sleep(2_000)]);
}

/** Memory of one process as `/proc/<pid>/status` reports it, sampled over time. */
export interface MemorySampler {
  /** Starts counting VmRSS samples towards the flatness figures (after warm-up). */
  warm(): void;
  stop(): MemoryReport;
}

/** What a {@link MemorySampler} saw, in bytes. */
export interface MemoryReport {
  /** VmHWM at the last sample: the peak resident set of the process's life. */
  peak: number;
  /** Min and max of VmRSS over the samples taken after warm-up. */
  warmMin: number;
  warmMax: number;
  /** Mean VmRSS of the first and the last third of the samples after warm-up (growth shows here). */
  firstThird: number;
  lastThird: number;
  samples: number;
}

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch (error) {
    // The process has exited: no more samples, the last ones stand.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text);
  return m === null ? null : Number(m[1]) * 1024;
}

/** Samples VmRSS and VmHWM of `pid` every `periodMs`. */
export function sampleMemory(pid: number, periodMs = 200): MemorySampler {
  const report: MemoryReport = {
    peak: 0,
    warmMin: Number.POSITIVE_INFINITY,
    warmMax: 0,
    firstThird: 0,
    lastThird: 0,
    samples: 0,
  };
  const rssSamples: number[] = [];
  let warm = false;
  const sample = () => {
    const hwm = statusField(pid, "VmHWM");
    if (hwm !== null) report.peak = Math.max(report.peak, hwm);
    const rss = statusField(pid, "VmRSS");
    if (rss === null || !warm) return;
    report.warmMin = Math.min(report.warmMin, rss);
    report.warmMax = Math.max(report.warmMax, rss);
    report.samples++;
    rssSamples.push(rss);
  };
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const timer = setInterval(sample, periodMs);
  return {
    warm() {
      warm = true;
    },
    stop() {
      sample();
      clearInterval(timer);
      const third = Math.floor(rssSamples.length / 3);
      report.firstThird = mean(rssSamples.slice(0, third));
      report.lastThird = mean(rssSamples.slice(rssSamples.length - third));
      return report;
    },
  };
}

/** One `batch done` line of a seeder log. */
export interface BatchDone {
  seeder: string;
  entity: string;
  batch: number;
  /** Write duration measured by the seeder (run lookup, generation, transaction). */
  ms: number;
  /** Epoch ms at which the line was logged (right after the ack). */
  at: number;
}

/** The `batch done` lines of a seeder's JSON log. */
export function readBatchDone(seeder: string, log: string): BatchDone[] {
  const out: BatchDone[] = [];
  for (const line of readFileSync(log, "utf8").split("\n")) {
    if (!line.includes('"batch done"')) continue;
    const j = JSON.parse(line) as { entity: string; batch: number; ms: number; time: string | number };
    out.push({ seeder, entity: j.entity, batch: j.batch, ms: j.ms, at: new Date(j.time).getTime() });
  }
  return out;
}

/** Lines of a service's log that contain every one of `fragments` (0 when there is no log). */
export function countLogLines(log: string, ...fragments: string[]): number {
  let text: string;
  try {
    text = readFileSync(log, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  return text.split("\n").filter((line) => fragments.every((f) => line.includes(f))).length;
}

/** How many times a seeder's JSON log says its memory governor collected (SEEDER_GC_RSS_MIB). */
export function countCollections(log: string): number {
  return countLogLines(log, '"memory limit: collected"');
}

/** CPU seconds (user + system) a process has used so far, or null once it has exited. */
export function cpuSeconds(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** USER_HZ of Linux /proc/<pid>/stat (`getconf CLK_TCK`, 100 on every mainstream kernel). */
const CLOCK_TICKS = 100;

/** CPU seconds per process name and per PostgreSQL role of the backends serving the bench database. */
export interface CpuReport {
  processes: Record<string, number>;
  backends: Record<string, number>;
}

/**
 * Samples, every `periodMs`, the CPU time of `processes` and of every backend connected to the
 * database behind `sql` (found through pg_stat_activity, read from /proc: PostgreSQL runs on this
 * machine), counted from the first sample (call once the stack is up). A backend that disconnects
 * keeps its last sample, so backend figures are lower bounds by at most one period each.
 */
export function sampleCpu(
  sql: Sql,
  processes: { name: string; pid: number }[],
  periodMs = 500,
): { stop(): Promise<CpuReport> } {
  const proc = new Map<string, number>();
  const backends = new Map<number, { role: string; cpu: number }>();
  const base = new Map<string | number, number>();
  for (const { name, pid } of processes) base.set(name, cpuSeconds(pid) ?? 0);
  let first = true;
  const sample = async () => {
    for (const { name, pid } of processes) {
      const cpu = cpuSeconds(pid);
      if (cpu !== null) proc.set(name, cpu - (base.get(name) ?? 0));
    }
    const rows = await sql<{ pid: number; role: string }[]>`
      SELECT pid, usename AS role FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND usename IS NOT NULL`;
    for (const { pid, role } of rows) {
      const cpu = cpuSeconds(pid);
      if (cpu === null) continue;
      if (first) base.set(pid, cpu);
      backends.set(pid, { role, cpu: cpu - (base.get(pid) ?? 0) });
    }
    first = false;
  };
  let pending: Promise<void> = sample();
  const timer = setInterval(() => {
    pending = pending.then(sample, sample);
  }, periodMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending.then(sample, sample);
      const byRole: Record<string, number> = {};
      for (const { role, cpu } of backends.values()) byRole[role] = (byRole[role] ?? 0) + cpu;
      return { processes: Object.fromEntries(proc), backends: byRole };
    },
  };
}

/** One line: CPU microseconds per row of each process and backend role, and their total. */
export function formatCpu(report: CpuReport, rows: number): string {
  const us = (seconds: number) => `${((seconds * 1e6) / rows).toFixed(1)}`;
  const parts = [
    ...Object.entries(report.processes).map(([name, s]) => `${name} ${us(s)}`),
    ...Object.entries(report.backends).map(([role, s]) => `postgres(${role}) ${us(s)}`),
  ];
  const total = [...Object.values(report.processes), ...Object.values(report.backends)].reduce((a, b) => a + b, 0);
  return `CPU µs/row: ${parts.join(", ")}; total ${us(total)}`;
}
