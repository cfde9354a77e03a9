import { isSementeError } from "@semente/core/errors";

/** One variable a failed start-up blames, and why. */
export interface BadVariable {
  variable: string;
  problem: string;
}

const VARIABLE = /\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g;

/**
 * The variables a start-up error names: the `/env/<NAME>` pointers of a CONFIG_INVALID, else the
 * upper-case variable names its message mentions (`VAULT_TOKEN is required for vault-transit`).
 */
export function badVariables(error: unknown): BadVariable[] {
  if (!isSementeError(error)) return [];
  const fromPointers = (error.errors ?? [])
    .filter((e) => e.pointer?.startsWith("/env/"))
    .map((e) => {
      const variable = (e.pointer as string).slice("/env/".length);
      const problem = e.message.startsWith(`${variable}: `) ? e.message.slice(variable.length + 2) : e.message;
      return { variable, problem };
    });
  if (fromPointers.length > 0) return fromPointers;
  const named = [...new Set([...error.message.matchAll(VARIABLE)].map((m) => m[1] as string))];
  return named.map((variable) => ({ variable, problem: error.message }));
}

/**
 * The one-line JSON a service prints to stderr when it cannot start: its code, its own message
 * (Semente errors only: their messages never carry a variable's value) and every bad variable.
 * Foreign errors (driver, network) are reduced to their class name, as their text may echo a URL.
 */
export function startupFailureLine(service: string, error: unknown): string {
  const semente = isSementeError(error);
  const variables = badVariables(error);
  return JSON.stringify({
    level: "fatal",
    service,
    msg: `${service} failed`,
    code: semente ? error.code : "INTERNAL",
    reason: semente ? error.message : error instanceof Error ? error.name : typeof error,
    ...(variables.length > 0 ? { variables } : {}),
  });
}
