import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parse } from "yaml";
import { PROBLEM_CATALOG, ProblemCode, problemType } from "../../src/errors/index.ts";

type Node = Record<string, unknown>;

const ROOT = join(import.meta.dir, "..", "..", "..", "..");
const doc = parse(await Bun.file(join(ROOT, "contracts", "seed-data.openapi.yaml")).text()) as Node;
const ruleset = parse(await Bun.file(join(ROOT, ".spectral.yaml")).text()) as Node;

const METHODS = ["get", "put", "post", "patch", "delete", "head", "options"] as const;
const RATE_LIMIT_HEADERS = [
  "RateLimit-Policy",
  "RateLimit",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
];
const PROBLEM_REF = "#/components/schemas/Problem";

/** The HTTP surface of ARCHITECTURE.md "Contract surface", with the statuses each route must document. */
const SURFACE: { method: (typeof METHODS)[number]; path: string; statuses: string[] }[] = [
  { method: "post", path: "/api/v1/seed-profiles/validate", statuses: ["200", "400", "401", "403", "422", "429"] },
  { method: "post", path: "/api/v1/seed-runs", statuses: ["202", "400", "401", "403", "409", "422", "429"] },
  { method: "get", path: "/api/v1/seed-runs", statuses: ["200", "401", "403", "429"] },
  { method: "get", path: "/api/v1/seed-runs/{id}", statuses: ["200", "304", "401", "403", "404", "429"] },
  {
    method: "post",
    path: "/api/v1/seed-runs/{id}/cancel",
    statuses: ["202", "401", "403", "404", "409", "412", "428", "429"],
  },
  {
    method: "get",
    path: "/api/v1/seed-runs/{id}/evidence",
    statuses: ["200", "401", "403", "404", "429", "500", "503"],
  },
  { method: "get", path: "/api/v1/evidence/keys", statuses: ["200", "429"] },
  { method: "get", path: "/api/v1/seed-runs/{id}/events", statuses: ["200", "401", "403", "404", "429"] },
  { method: "get", path: "/api/v1/seed-runs/{id}/dlq", statuses: ["200", "401", "403", "404", "429", "503"] },
  {
    method: "post",
    path: "/api/v1/seed-runs/{id}/dlq/{entry}/replay",
    statuses: ["200", "202", "400", "401", "403", "404", "409", "429", "503"],
  },
  { method: "get", path: "/healthz", statuses: ["200"] },
  { method: "get", path: "/readyz", statuses: ["200", "503"] },
  { method: "get", path: "/metrics", statuses: ["200"] },
];

function asNode(value: unknown, where: string): Node {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${where}: not an object`);
  return value as Node;
}

/** Follows one local `$ref` (the contract only uses `#/...` references). */
function deref(value: unknown, where: string): Node {
  const node = asNode(value, where);
  const ref = node.$ref;
  if (typeof ref !== "string") return node;
  if (!ref.startsWith("#/")) throw new Error(`${where}: non-local $ref ${ref}`);
  let target: unknown = doc;
  for (const part of ref.slice(2).split("/")) target = asNode(target, ref)[part.replaceAll("~1", "/")];
  if (target === undefined) throw new Error(`${where}: dangling $ref ${ref}`);
  return deref(target, ref);
}

const paths = asNode(doc.paths, "paths");

function operation(path: string, method: string): Node {
  return asNode(asNode(paths[path], path)[method], `${method} ${path}`);
}

function allOperations(): { path: string; method: string; op: Node }[] {
  const out: { path: string; method: string; op: Node }[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = asNode(item, path)[method];
      if (op !== undefined) out.push({ path, method, op: asNode(op, `${method} ${path}`) });
    }
  }
  return out;
}

function allResponses(): { where: string; status: string; response: Node }[] {
  return allOperations().flatMap(({ path, method, op }) =>
    Object.entries(asNode(op.responses, `${method} ${path} responses`)).map(([status, r]) => ({
      where: `${method.toUpperCase()} ${path} ${status}`,
      status,
      response: deref(r, `${method} ${path} ${status}`),
    })),
  );
}

function parameterNames(op: Node, where: string): Node[] {
  const list = op.parameters;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new Error(`${where}: parameters is not a list`);
  return list.map((p, i) => deref(p, `${where} parameter ${i}`));
}

describe("openapi contract", () => {
  test("openapi - is an OpenAPI 3.1 document with the bearer JWT scheme as default security", () => {
    expect(String(doc.openapi)).toMatch(/^3\.1\./);
    const schemes = asNode(asNode(doc.components, "components").securitySchemes, "securitySchemes");
    expect(asNode(schemes.bearerAuth, "bearerAuth")).toMatchObject({
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
    });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
  });

  test("openapi - declares every route of the architecture's contract surface with its statuses", () => {
    for (const { method, path, statuses } of SURFACE) {
      const responses = asNode(operation(path, method).responses, `${method} ${path}`);
      for (const status of statuses)
        expect({ route: `${method} ${path}`, status, has: status in responses }).toEqual({
          route: `${method} ${path}`,
          status,
          has: true,
        });
    }
  });

  test("openapi - every operation has a unique operationId, tags and a description", () => {
    const ids = allOperations().map(({ op, path, method }) => {
      expect({ where: `${method} ${path}`, tags: Array.isArray(op.tags) && op.tags.length > 0 }).toEqual({
        where: `${method} ${path}`,
        tags: true,
      });
      expect(typeof op.description).toBe("string");
      return String(op.operationId);
    });
    expect(ids.length).toBe(SURFACE.length);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("openapi - every POST requires the Idempotency-Key header", () => {
    const posts = allOperations().filter(({ method }) => method === "post");
    expect(posts.length).toBe(SURFACE.filter((r) => r.method === "post").length);
    for (const { path, op } of posts) {
      const key = parameterNames(op, path).find((p) => p.name === "Idempotency-Key");
      expect({ path, in: key?.in, required: key?.required }).toEqual({ path, in: "header", required: true });
    }
  });

  test("openapi - every response, errors included, declares the RateLimit headers", () => {
    const responses = allResponses();
    expect(responses.length).toBeGreaterThan(40);
    for (const { where, response } of responses) {
      const headers = Object.keys(asNode(response.headers, `${where} headers`));
      expect({ where, missing: RATE_LIMIT_HEADERS.filter((h) => !headers.includes(h)) }).toEqual({
        where,
        missing: [],
      });
    }
  });

  test("openapi - every 4xx/5xx response is application/problem+json with the Problem schema", () => {
    const errors = allResponses().filter(({ status }) => /^[45]/.test(status));
    expect(errors.length).toBeGreaterThan(20);
    for (const { where, response } of errors) {
      const content = asNode(response.content, `${where} content`);
      expect({ where, types: Object.keys(content) }).toEqual({ where, types: ["application/problem+json"] });
      const schema = asNode(asNode(content["application/problem+json"], where).schema, `${where} schema`);
      expect({ where, ref: schema.$ref }).toEqual({ where, ref: PROBLEM_REF });
    }
  });

  test("openapi - 429 and 409 responses can tell the client when to retry", () => {
    for (const { where, status, response } of allResponses()) {
      if (status !== "429" && status !== "409") continue;
      const retry = deref(asNode(response.headers, where)["Retry-After"], `${where} Retry-After`);
      expect({ where, required: retry.required }).toEqual({ where, required: status === "429" });
    }
  });

  test("openapi - run create, get and cancel carry Location and ETag as the contract says", () => {
    const created = deref(asNode(operation("/api/v1/seed-runs", "post").responses, "create")["202"], "create 202");
    expect(Object.keys(asNode(created.headers, "create headers"))).toEqual(
      expect.arrayContaining(["Location", "ETag"]),
    );
    const got = asNode(operation("/api/v1/seed-runs/{id}", "get").responses, "get");
    for (const status of ["200", "304"]) {
      expect(Object.keys(asNode(deref(got[status], status).headers, status))).toContain("ETag");
    }
    const getParams = parameterNames(operation("/api/v1/seed-runs/{id}", "get"), "get");
    expect(getParams.map((p) => p.name)).toContain("If-None-Match");
    const cancel = parameterNames(operation("/api/v1/seed-runs/{id}/cancel", "post"), "cancel");
    expect(cancel.find((p) => p.name === "If-Match")).toMatchObject({ in: "header", required: true });
  });

  test("openapi - the list route filters by tenant, environment and state with cursor pagination", () => {
    const list = operation("/api/v1/seed-runs", "get");
    expect(parameterNames(list, "list").map((p) => p.name)).toEqual([
      "tenant",
      "environment",
      "state",
      "limit",
      "cursor",
    ]);
    const page = deref(deref(asNode(list.responses, "list")["200"], "list 200").content, "list content");
    const schema = deref(asNode(page["application/json"], "json").schema, "page schema");
    expect(schema.required).toEqual(["items", "next_cursor"]);
  });

  test("openapi - Run states and Problem members match the domain", () => {
    const schemas = asNode(asNode(doc.components, "components").schemas, "schemas");
    expect(asNode(schemas.RunState, "RunState").enum).toEqual([
      "queued",
      "admitted",
      "planning",
      "running",
      "paused",
      "completed",
      "failed",
      "cancelled",
      "expired",
      "aborted",
    ]);
    const run = asNode(schemas.Run, "Run");
    expect(Object.keys(asNode(run.properties, "Run.properties"))).toEqual(
      expect.arrayContaining(["id", "state", "manifest_hash", "queued_until", "progress", "dataset_digest", "reason"]),
    );
    const problem = asNode(schemas.Problem, "Problem");
    expect(problem.required).toEqual(["type", "title", "status", "code"]);
    const issue = asNode(asNode(schemas.ProblemIssue, "ProblemIssue").properties, "ProblemIssue.properties");
    expect(Object.keys(issue)).toEqual(["pointer", "message", "line", "column"]);
  });

  test("openapi - the Problem description lists every code of the errors catalogue with its type URI", () => {
    const description = String(
      asNode(asNode(asNode(doc.components, "components").schemas, "schemas").Problem, "P").description,
    );
    const missing = Object.values(ProblemCode).filter(
      (code) => !description.includes(`| \`${code}\` | ${PROBLEM_CATALOG[code].status} | \`${problemType(code)}\` |`),
    );
    expect(missing).toEqual([]);
  });

  test("openapi - problem examples use catalogue codes with their catalogue status and type", () => {
    const responses = asNode(asNode(doc.components, "components").responses, "responses");
    let checked = 0;
    for (const [name, r] of Object.entries(responses)) {
      const media = asNode(asNode(asNode(r, name).content, name)["application/problem+json"], name);
      for (const example of Object.values(asNode(media.examples, `${name} examples`))) {
        const value = asNode(asNode(example, name).value, `${name} example`);
        const code = value.code as ProblemCode;
        expect({ name, code, type: value.type, status: value.status }).toEqual({
          name,
          code,
          type: problemType(code),
          status: PROBLEM_CATALOG[code].status,
        });
        checked++;
      }
    }
    expect(checked).toBe(Object.keys(responses).length);
  });

  test("spectral - the ruleset extends spectral:oas and carries the governance rules", () => {
    expect(JSON.stringify(ruleset.extends)).toContain("spectral:oas");
    expect(Object.keys(asNode(ruleset.rules, "rules"))).toEqual(
      expect.arrayContaining(["semente-post-idempotency-key", "semente-ratelimit-headers", "semente-problem-json"]),
    );
  });
});
