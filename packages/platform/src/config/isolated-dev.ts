const FALSY = new Set(["", "0", "false", "no", "off"]);

/** Whether `CI` is set to anything but an empty or false-like value (`0`, `false`, `no`, `off`). */
export function inCi(env: Record<string, string | undefined> = process.env): boolean {
  const ci = env.CI;
  return ci !== undefined && !FALSY.has(ci.trim().toLowerCase());
}

/** What decides whether this process is on an isolated dev machine. */
export interface IsolatedDevCheck {
  /** The environment in question (the run's, or the process's `SEMENTE_ENV`). */
  environment: string;
  /** The explicit flag `SEMENTE_ISOLATED_DEV=true`. */
  isolatedDev: boolean;
  /** Read for `CI`. @default process.env */
  env?: Record<string, string | undefined>;
}

/**
 * Isolated dev (R4.4) is the environment `dev`, explicitly flagged (`SEMENTE_ISOLATED_DEV=true`),
 * and not CI. Returns why a process is not isolated dev, or `undefined` when it is.
 */
export function notIsolatedDevBecause(check: IsolatedDevCheck): string | undefined {
  if (check.environment !== "dev") return `environment is ${check.environment}, not dev`;
  if (!check.isolatedDev) return "SEMENTE_ISOLATED_DEV is not true";
  if (inCi(check.env ?? process.env)) return "CI is set";
  return undefined;
}
