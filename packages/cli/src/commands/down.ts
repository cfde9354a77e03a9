import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";
import { readPid, stopProcess } from "./up.ts";

const USAGE = `usage: semente down [--dir .semente] [--grace 15]

Stops the processes \`semente up\` started (only those named by its pid files): SIGTERM, then
waits up to --grace seconds for a graceful shutdown (seeders finish or nak the batch in hand),
then SIGKILL. Pid files are removed; logs stay.`;

export const downCommand: Command = {
  name: "down",
  summary: "stop the processes `semente up` started",
  usage: USAGE,
  async run(argv) {
    const { values } = parse(argv, { dir: { type: "string" }, grace: { type: "string" } }, false);
    const graceMs = Number(values.grace ?? "15") * 1000;
    if (!Number.isFinite(graceMs) || graceMs < 0) throw new UsageError("--grace must be a number of seconds");
    const dir = resolve(values.dir ?? ".semente");
    const pids = join(dir, "pids");
    if (!existsSync(pids)) {
      out("nothing to stop");
      return 0;
    }
    // Stop in reverse start order: seeders and planner drain before the gateway goes away.
    const names = readdirSync(pids)
      .filter((f) => f.endsWith(".pid"))
      .map((f) => f.slice(0, -4));
    for (const group of [2, 1, 0]) {
      await Promise.all(
        names
          .filter((name) => rank(name) === group)
          .map(async (name) => {
            const pid = readPid(dir, name);
            const result = pid === null ? "gone" : await stopProcess(pid, graceMs);
            rmSync(join(pids, `${name}.pid`), { force: true });
            out(`${name.padEnd(10)} ${result}${pid === null ? "" : ` (pid ${pid})`}`);
          }),
      );
    }
    return 0;
  },
};

function rank(name: string): number {
  if (name === "gateway") return 0;
  if (name === "planner") return 1;
  return 2;
}
