/**
 * The contract check of the gateway's responses: the OpenAPI document, what one response violates
 * in it (status, headers, media type), and a requester that records every status it saw.
 */
import { resolve } from "node:path";
import type { requester } from "./utils.ts";

type Node = Record<string, unknown>;
type Send = ReturnType<typeof requester>;

const contract = Bun.YAML.parse(
  await Bun.file(resolve(import.meta.dir, "../../../contracts/seed-data.openapi.yaml")).text(),
) as Node;
const METHODS = ["get", "post", "put", "patch", "delete"];
/** Pages for people, not API: the console and the API reference (docs/console.md). */
const PAGES = /^\/(console|docs)(\/|$)/;
/**
 * Documented statuses no request can produce: the API ruleset requires 403 on every /api operation,
 * but every role may read and the events route answers a run out of scope with 404.
 */
const UNREACHABLE = new Set([
  "GET /api/v1/seed-runs/{id}/events 403",
  // A run outside the token's scope answers 404 like an unknown id (no existence oracle), and every
  // role may read: the read routes' 403 cannot happen either.
  "GET /api/v1/seed-runs/{id} 403",
  "GET /api/v1/seed-runs/{id}/evidence 403",
  // A DLQ replay's resume run is checked against the budget again: 422 only when the cost model
  // changed since the run was admitted with the same manifest.
  "POST /api/v1/seed-runs/{id}/dlq/{entry}/replay 422",
  "GET /api/v1/seed-runs/{id}/dlq 403",
]);
/**
 * 405 is documented on each operation of a path but answered to the path's OTHER methods (with
 * `Allow`), so no request with the operation's own method produces it; the hardening tests send
 * every wrong method to every path.
 */
const OTHER_METHOD_ONLY = "405";
/** Set by the HTTP layer on every response; not part of an operation's contract. */
const TRANSPORT = new Set(["content-type", "content-length", "date", "connection", "keep-alive", "transfer-encoding"]);

function deref(value: unknown): Node {
  let node = value as Node;
  while (typeof node?.$ref === "string") {
    let target: unknown = contract;
    for (const part of (node.$ref as string).slice(2).split("/")) target = (target as Node)[part.replaceAll("~1", "/")];
    node = target as Node;
  }
  return node;
}

const paths = contract.paths as Record<string, Node>;
/** `METHOD /path/{param}` of every operation the contract documents. */
export const documented = Object.entries(paths).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m] !== undefined).map((m) => `${m.toUpperCase()} ${path}`),
);

const operation = (method: string, template: string) => paths[template]?.[method.toLowerCase()] as Node | undefined;

/** Every violation of the contract by one response (empty when it conforms). */
export function violations(method: string, template: string, res: Response, body: string): string[] {
  const where = `${method} ${template} → ${res.status}`;
  const op = operation(method, template);
  if (op === undefined) return [`${where}: operation not in the contract`];
  const responses = op.responses as Node;
  const entry = responses[String(res.status)] ?? responses.default;
  if (entry === undefined) return [`${where}: status not documented`];
  const spec = deref(entry);
  return [...headerViolations(where, spec, res), ...bodyViolations(where, spec, res, body)];
}

/** Headers sent but not documented, and documented required headers not sent. */
function headerViolations(where: string, spec: Node, res: Response): string[] {
  const headers = Object.fromEntries(
    Object.entries((spec.headers ?? {}) as Node).map(([k, v]) => [k.toLowerCase(), deref(v)]),
  );
  const out: string[] = [];
  for (const name of res.headers.keys()) {
    if (!TRANSPORT.has(name) && headers[name] === undefined) out.push(`${where}: header '${name}' not documented`);
  }
  for (const [name, h] of Object.entries(headers)) {
    if (h.required === true && !res.headers.has(name)) out.push(`${where}: required header '${name}' missing`);
  }
  return out;
}

/** A body of an undocumented media type, or a documented body missing (a 304 has none). */
function bodyViolations(where: string, spec: Node, res: Response, body: string): string[] {
  const out: string[] = [];
  const content = (spec.content ?? {}) as Node;
  const type = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  if (body !== "" && content[type] === undefined) out.push(`${where}: media type '${type}' not documented`);
  if (body === "" && Object.keys(content).length > 0 && res.status !== 304)
    out.push(`${where}: documented body missing`);
  return out;
}

/** `METHOD /path/{param}` of every API route the app registers (pages excluded). */
export function apiRoutes(app: unknown): string[] {
  return (app as { routes: { method: string; path: string }[] }).routes
    .filter((r) => !PAGES.test(r.path))
    .map((r) => `${r.method} ${r.path.replace(/:([a-z_]+)/g, "{$1}")}`);
}

/** Documented statuses (5xx, 405 and the unreachable ones excepted) no checked response had. */
export function missingStatuses(seen: Set<string>): string[] {
  const missing: string[] = [];
  for (const entry of documented) {
    const [method, path] = entry.split(" ") as [string, string];
    for (const status of Object.keys((operation(method, path) as Node).responses as Node)) {
      const key = `${method} ${path} ${status}`;
      if (status.startsWith("5") || status === OTHER_METHOD_ONLY || UNREACHABLE.has(key)) continue;
      if (!seen.has(key)) missing.push(key);
    }
  }
  return missing;
}

/** Sends a request, reads the body (event streams: the first chunk), checks it against the contract. */
export type Check = (
  method: string,
  template: string,
  path: string,
  options?: Parameters<Send>[2],
) => Promise<{ res: Response; body: string }>;

/** A {@link Check} over `send`, with the statuses it saw and the violations it found. */
export function contractChecker(send: () => Send): { check: Check; seen: Set<string>; problems: string[] } {
  const seen = new Set<string>();
  const problems: string[] = [];
  const check: Check = async (method, template, path, options = {}) => {
    const res = await send()(method, path, options);
    const body = await readBody(res);
    seen.add(`${method} ${template} ${res.status}`);
    if (options.body !== undefined && res.status < 400) {
      // An accepted request body must be of a documented media type too.
      const type = options.contentType ?? "application/yaml";
      const accepted = ((operation(method, template)?.requestBody as Node | undefined)?.content ?? {}) as Node;
      if (accepted[type] === undefined)
        problems.push(`${method} ${template}: request body '${type}' accepted but not documented`);
    }
    problems.push(...violations(method, template, res, body));
    return { res, body };
  };
  return { check, seen, problems };
}

async function readBody(res: Response): Promise<string> {
  if (!(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) return res.text();
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const body = new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  return body;
}
