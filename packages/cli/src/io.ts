import { isSementeError, PROBLEM_CATALOG } from "@semente/core/errors";

/** Usage errors (bad flags, unknown verb) exit with 2, like most Unix tools. */
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Writes the one-line failure message and returns the documented exit code. */
export function reportFailure(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`semente: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (isSementeError(error)) {
    process.stderr.write(`semente: ${error.code}: ${error.message}\n`);
    for (const issue of error.errors ?? []) {
      const at = issue.line === undefined ? "" : ` (line ${issue.line}, column ${issue.column ?? 1})`;
      process.stderr.write(`  ${issue.pointer || "/"}${at}: ${issue.message}\n`);
    }
    return PROBLEM_CATALOG[error.code].exit;
  }
  // Unknown errors may carry SQL or secrets in their message: print the class only, keep the stack for debugging.
  const name = error instanceof Error ? error.name : typeof error;
  process.stderr.write(`semente: INTERNAL: unexpected ${name}; rerun with SEMENTE_DEBUG=1 for details\n`);
  if (process.env.SEMENTE_DEBUG === "1") console.error(error);
  return PROBLEM_CATALOG.INTERNAL.exit;
}

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
