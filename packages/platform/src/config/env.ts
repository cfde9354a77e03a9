import { SementeError } from "@semente/core/errors";

/** How one environment variable is read: its default, and how it is parsed and checked. */
export interface VarSpec<T> {
  /** Value used when the variable is unset or empty. Omit to make the variable required. */
  default?: string;
  /** Parses the raw string; throws or returns an error message string on bad input. */
  parse: (raw: string) => T;
  /** One line for the README's configuration table. */
  doc: string;
}

export type Specs = Record<string, VarSpec<unknown>>;
export type ConfigOf<S extends Specs> = { [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

export const str = (doc: string, def?: string): VarSpec<string> => ({ doc, default: def, parse: (s) => s });

export const int = (doc: string, def?: string, min = 0, max = Number.MAX_SAFE_INTEGER): VarSpec<number> => ({
  doc,
  default: def,
  parse: (s) => {
    if (!/^-?\d+$/.test(s)) throw new Error(`expected an integer, got ${JSON.stringify(s)}`);
    const n = Number(s);
    if (n < min || n > max) throw new Error(`expected an integer in [${min}, ${max}], got ${n}`);
    return n;
  },
});

export const bool = (doc: string, def?: string): VarSpec<boolean> => ({
  doc,
  default: def,
  parse: (s) => {
    const v = s.toLowerCase();
    if (["1", "true", "yes", "on"].includes(v)) return true;
    if (["0", "false", "no", "off"].includes(v)) return false;
    throw new Error(`expected true/false, got ${JSON.stringify(s)}`);
  },
});

export const url = (doc: string, def: string | undefined, protocols: string[]): VarSpec<string> => ({
  doc,
  default: def,
  parse: (s) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      // URL's own message echoes the input, which may hold a password: replace it.
      throw new Error("not a valid URL");
    }
    if (!protocols.includes(u.protocol)) throw new Error(`expected a ${protocols.join(" or ")} URL`);
    return s;
  },
});

export const oneOf = <const T extends string>(doc: string, values: readonly T[], def?: T): VarSpec<T> => ({
  doc,
  default: def,
  parse: (s) => {
    if (!(values as readonly string[]).includes(s)) throw new Error(`expected one of ${values.join(", ")}`);
    return s as T;
  },
});

/**
 * Reads and validates every variable of `specs` from `env` at once, so a bad start-up names every
 * bad variable in one message instead of failing on the first.
 */
export function loadConfig<S extends Specs>(
  specs: S,
  env: Record<string, string | undefined> = process.env,
): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const raw = env[name] === undefined || env[name] === "" ? spec.default : env[name];
    if (raw === undefined) {
      problems.push(`${name}: required (${spec.doc})`);
      continue;
    }
    try {
      out[name] = spec.parse(raw);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
    }
  }
  if (problems.length > 0) {
    throw new SementeError("CONFIG_INVALID", `invalid configuration: ${problems.join("; ")}`, {
      errors: problems.map((p) => ({ pointer: `/env/${p.slice(0, p.indexOf(":"))}`, message: p })),
    });
  }
  return out as ConfigOf<S>;
}
