import { SementeError } from "@semente/core/errors";

/** How one environment variable is read: its default, and how it is parsed and checked. */
export interface VarSpec<T> {
  /** Value used when the variable is unset or empty. Omit to make the variable required. */
  default?: string;
  /** Parses the raw string; throws or returns an error message string on bad input. */
  parse: (raw: string) => T;
  /** One line for the README's configuration table. */
  doc: string;
  /**
   * Former names still read, deprecated (the README's compatibility note lists them). They are
   * consulted only when the variable itself is unset; if several are set they must agree, else the
   * configuration is refused (CONFIG_INVALID) rather than one silently winning.
   */
  aliases?: readonly string[];
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

const isSet = (env: Record<string, string | undefined>, name: string): boolean =>
  env[name] !== undefined && env[name] !== "";

/**
 * The value `env` gives a variable: its own, else its deprecated aliases' (which must agree), else
 * undefined. A disagreement is a problem naming the variables, never their values.
 */
function givenValue(
  name: string,
  spec: VarSpec<unknown>,
  env: Record<string, string | undefined>,
): string | undefined | { problem: string } {
  if (isSet(env, name)) return env[name];
  const aliases = (spec.aliases ?? []).filter((alias) => isSet(env, alias));
  if (new Set(aliases.map((alias) => env[alias])).size > 1) {
    return {
      problem: `${name}: its deprecated aliases ${aliases.join(" and ")} are set to different values; set ${name} alone`,
    };
  }
  return aliases.length === 0 ? undefined : env[aliases[0] as string];
}

/**
 * The deprecated aliases `env` sets, as one warning line each (no values): services log them at
 * start-up so the rename is noticed before the aliases go.
 */
export function deprecatedVariables(specs: Specs, env: Record<string, string | undefined> = process.env): string[] {
  const out: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    for (const alias of spec.aliases ?? []) {
      if (!isSet(env, alias)) continue;
      out.push(
        isSet(env, name)
          ? `${alias} is a deprecated alias of ${name}, which is set and wins; unset ${alias}`
          : `${alias} is deprecated; set ${name} instead`,
      );
    }
  }
  return out;
}

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
    const given = givenValue(name, spec, env);
    if (typeof given === "object") {
      problems.push(given.problem);
      continue;
    }
    const raw = given ?? spec.default;
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
