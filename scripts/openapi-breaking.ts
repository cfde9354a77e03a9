#!/usr/bin/env bun
/**
 * Breaking-change gate of the public contract (contracts/seed-data.openapi.yaml) against the last
 * release: the file as it was at the newest `v*` tag reachable from HEAD. Without any release tag
 * there is no published contract to break: the gate says so and passes; the first `v*` tag becomes
 * the baseline from then on. `--base <file>` compares with a file instead (tests, manual checks).
 *
 *   bun scripts/openapi-breaking.ts [--base old.yaml] [contracts/seed-data.openapi.yaml]
 *
 * Breaking: a path or operation removed; a 2xx response removed; a required parameter or request
 * body added, or an optional one made required; a request property newly required or a request
 * enum value removed; a property removed from, or retyped in, a 2xx JSON response (nested objects
 * and arrays included). Additions that clients can ignore are not breaking.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

type Doc = Record<string, unknown>;
type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
};
type Parameter = { $ref?: string; name: string; in: string; required?: boolean };
type Operation = {
  parameters?: Parameter[];
  requestBody?: { $ref?: string; required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: Schema }> }>;
};

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

function deref<T>(doc: Doc, node: T & { $ref?: string }, depth = 0): T {
  if (node?.$ref === undefined || depth > 20) return node;
  const target = node.$ref
    .replace(/^#\//, "")
    .split("/")
    .reduce<unknown>(
      (at, key) => (at as Record<string, unknown>)?.[key.replaceAll("~1", "/").replaceAll("~0", "~")],
      doc,
    );
  return deref(doc, target as T & { $ref?: string }, depth + 1);
}

/** Flattens allOf into one object schema (properties and required merged). */
function flat(doc: Doc, schema: Schema | undefined): Schema | undefined {
  const s = schema === undefined ? undefined : deref<Schema>(doc, schema);
  if (s?.allOf === undefined) return s;
  const parts = s.allOf.map((p) => flat(doc, p) ?? {});
  return {
    ...s,
    allOf: undefined,
    type: s.type ?? parts.find((p) => p.type !== undefined)?.type,
    properties: Object.assign({}, s.properties, ...parts.map((p) => p.properties ?? {})),
    required: [...(s.required ?? []), ...parts.flatMap((p) => p.required ?? [])],
  };
}

const typeOf = (s: Schema | undefined) => JSON.stringify(s?.type ?? null);

function compareResponse(
  base: Doc,
  head: Doc,
  b: Schema | undefined,
  h: Schema | undefined,
  at: string,
  out: string[],
  depth = 0,
): void {
  const bs = flat(base, b);
  const hs = flat(head, h);
  if (bs === undefined || hs === undefined || depth > 8) return;
  if (bs.type !== undefined && typeOf(bs) !== typeOf(hs)) out.push(`${at}: type ${typeOf(bs)} became ${typeOf(hs)}`);
  for (const [name, prop] of Object.entries(bs.properties ?? {})) {
    const next = hs.properties?.[name];
    if (next === undefined) out.push(`${at}.${name}: removed from the response`);
    else compareResponse(base, head, prop, next, `${at}.${name}`, out, depth + 1);
  }
  if (bs.items !== undefined) compareResponse(base, head, bs.items, hs.items, `${at}[]`, out, depth + 1);
}

function compareRequest(
  base: Doc,
  head: Doc,
  b: Schema | undefined,
  h: Schema | undefined,
  at: string,
  out: string[],
  depth = 0,
): void {
  const bs = flat(base, b);
  const hs = flat(head, h);
  if (hs === undefined || depth > 8) return;
  const had = new Set(bs?.required ?? []);
  for (const name of hs.required ?? []) if (!had.has(name)) out.push(`${at}.${name}: newly required in the request`);
  const dropped = (bs?.enum ?? []).filter((v) => hs.enum !== undefined && !hs.enum.includes(v));
  for (const v of dropped) out.push(`${at}: request value ${JSON.stringify(v)} no longer accepted`);
  for (const [name, prop] of Object.entries(hs.properties ?? {})) {
    compareRequest(base, head, bs?.properties?.[name], prop, `${at}.${name}`, out, depth + 1);
  }
}

function compareParameters(
  base: Doc,
  head: Doc,
  b: Operation,
  h: Operation,
  shared: Parameter[][],
  at: string,
  out: string[],
) {
  const params = (doc: Doc, own: Parameter[] | undefined, common: Parameter[] | undefined) =>
    new Map(
      [...(common ?? []), ...(own ?? [])].map((p) => deref<Parameter>(doc, p)).map((p) => [`${p.in}:${p.name}`, p]),
    );
  const bp = params(base, b.parameters, shared[0]);
  for (const [key, p] of params(head, h.parameters, shared[1])) {
    if (p.required === true && bp.get(key)?.required !== true) out.push(`${at} parameter ${key}: newly required`);
  }
}

const jsonSchema = (doc: Doc, node: { $ref?: string; content?: Record<string, { schema?: Schema }> } | undefined) =>
  node === undefined ? undefined : deref(doc, node).content?.["application/json"]?.schema;

function compareOperation(
  base: Doc,
  head: Doc,
  b: Operation,
  h: Operation,
  shared: Parameter[][],
  at: string,
  out: string[],
): void {
  compareParameters(base, head, b, h, shared, at, out);
  const bBody = b.requestBody === undefined ? undefined : deref(base, b.requestBody);
  const hBody = h.requestBody === undefined ? undefined : deref(head, h.requestBody);
  if (hBody?.required === true && bBody?.required !== true) out.push(`${at} request body: newly required`);
  compareRequest(base, head, jsonSchema(base, bBody), jsonSchema(head, hBody), `${at} request`, out);
  for (const [status, response] of Object.entries(b.responses ?? {})) {
    if (!/^2/.test(status)) continue;
    const next = h.responses?.[status];
    if (next === undefined) out.push(`${at} response ${status}: removed`);
    else compareResponse(base, head, jsonSchema(base, response), jsonSchema(head, next), `${at} ${status}`, out);
  }
}

/** Every breaking change from `base` to `head` (parsed OpenAPI documents). */
export function breakingChanges(base: Doc, head: Doc): string[] {
  const out: string[] = [];
  const bPaths = (base.paths ?? {}) as Record<string, Record<string, unknown>>;
  const hPaths = (head.paths ?? {}) as Record<string, Record<string, unknown>>;
  for (const [path, item] of Object.entries(bPaths)) {
    const next = hPaths[path];
    if (next === undefined) {
      out.push(`${path}: path removed`);
      continue;
    }
    for (const method of METHODS) {
      const op = item[method] as Operation | undefined;
      if (op === undefined) continue;
      const nextOp = next[method] as Operation | undefined;
      if (nextOp === undefined) out.push(`${method.toUpperCase()} ${path}: operation removed`);
      else {
        const shared = [item.parameters as Parameter[], next.parameters as Parameter[]];
        compareOperation(base, head, op, nextOp, shared, `${method.toUpperCase()} ${path}`, out);
      }
    }
  }
  return out;
}

/** The newest `v*` tag reachable from HEAD, or null when there is none. */
export function lastReleaseTag(root: string): string | null {
  try {
    return execFileSync("git", ["describe", "--tags", "--abbrev=0", "--match", "v*"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const root = resolve(import.meta.dir, "..");
  const baseFlag = args.indexOf("--base");
  const headPath = resolve(
    args.filter((a, i) => (a !== "--base" && i !== baseFlag + 1) || baseFlag < 0).at(-1) ??
      join(root, "contracts/seed-data.openapi.yaml"),
  );
  let baseText: string;
  let baseName: string;
  if (baseFlag >= 0) {
    baseName = args[baseFlag + 1] as string;
    baseText = readFileSync(baseName, "utf8");
  } else {
    const tag = lastReleaseTag(root);
    if (tag === null) {
      console.log(
        "openapi-breaking: no release tag (v*) yet, nothing published to break; the first tag becomes the baseline",
      );
      process.exit(0);
    }
    baseName = `${tag}:${relative(root, headPath)}`;
    baseText = execFileSync("git", ["show", baseName], { cwd: root, encoding: "utf8" });
  }
  const changes = breakingChanges(
    Bun.YAML.parse(baseText) as Doc,
    Bun.YAML.parse(readFileSync(headPath, "utf8")) as Doc,
  );
  for (const c of changes) console.error(`openapi-breaking: ${c}`);
  if (changes.length > 0) {
    console.error(`openapi-breaking: ${changes.length} breaking change(s) since ${baseName}`);
    process.exit(1);
  }
  console.log(`openapi-breaking: no breaking change since ${baseName}`);
}
