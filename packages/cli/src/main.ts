#!/usr/bin/env bun
import { applyDotenv } from "@semente/platform/config";
import type { Command } from "./command.ts";
import { bootstrapCommand } from "./commands/bootstrap.ts";
import { dbCommand } from "./commands/db.ts";
import { dlqCommand } from "./commands/dlq.ts";
import { downCommand } from "./commands/down.ts";
import { drCommand } from "./commands/dr.ts";
import { evidenceCommand } from "./commands/evidence.ts";
import { maintenanceCommand } from "./commands/maintenance.ts";
import { purgeCommand } from "./commands/purge.ts";
import { runsCommand } from "./commands/runs.ts";
import { seedCommand } from "./commands/seed.ts";
import { tokenCommand } from "./commands/token.ts";
import { upCommand, upEnvironment } from "./commands/up.ts";
import { validateCommand } from "./commands/validate.ts";
import { verifyCommand } from "./commands/verify.ts";
import { out, reportFailure, UsageError } from "./io.ts";

const COMMANDS: Command[] = [
  dbCommand,
  validateCommand,
  tokenCommand,
  evidenceCommand,
  seedCommand,
  verifyCommand,
  runsCommand,
  dlqCommand,
  maintenanceCommand,
  drCommand,
  purgeCommand,
  upCommand,
  downCommand,
  bootstrapCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "usage: semente <command> [options]",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `semente <command> --help` for a command's options. Exit codes are listed in the README.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  applyDotenv(process.env.SEMENTE_ENV_FILE || ".env");
  // In isolated dev (CI unset) every verb, not only `up`, finds the settings the quickstart recorded
  // in .env.local (KEY_PROVIDER, SEMENTE_ISOLATED_DEV, the dev JWT secret), so `semente verify`
  // works from a fresh shell; the process environment wins, the dev key stays in the file.
  for (const [name, value] of Object.entries(upEnvironment(process.env))) {
    if (process.env[name] === undefined && value !== undefined) process.env[name] = value;
  }
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === "help" || verb === "--help" || verb === "-h") {
    out(help());
    return verb === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === verb);
  if (command === undefined) return reportFailure(new UsageError(`unknown command '${verb}' (see 'semente help')`));
  if (rest.includes("--help") || rest.includes("-h")) {
    out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    return reportFailure(error);
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
