import { isSementeError, type ProblemCode, type ProblemIssue, SementeError } from "@semente/core/errors";
import { sha256Hex } from "@semente/platform/request-guards";
import { type ParsedManifest, parseManifest } from "@semente/core/manifest";

/** What a manifest request asks the parser to do: the body itself, or the `POST /seed-runs` envelope. */
export interface ManifestJob {
  kind: "body" | "run";
  text: string;
  /** Media type of the body, already checked to be YAML or JSON (`isJsonMedia`). */
  json: boolean;
}

/**
 * A parsed manifest, or the error parsing it raised, plus the content hash for the idempotency
 * fingerprint (the manifest hash when it parsed, else the body's sha256). Parse errors are returned,
 * not thrown, so that a 422 is itself stored under the Idempotency-Key and replayed.
 */
export type ManifestInput = {
  hash: string;
  parsed?: ParsedManifest;
  error?: unknown;
  dryRun: boolean;
  /** What the run does (`POST /seed-runs` only). @default "seed" */
  operation?: RunOperation;
  /** A purge request's target (operation `purge`, no manifest). */
  purge?: { tenant: string; environment: string; mode: string };
};

/** Operations `POST /api/v1/seed-runs` accepts. */
export type RunOperation = "seed" | "reseed" | "purge" | "dr_drill";
const OPERATIONS: readonly string[] = ["seed", "reseed", "purge", "dr_drill"];

/** `ManifestInput` as it crosses a worker boundary: a `SementeError` travels as its fields. */
export type EncodedInput = Omit<ManifestInput, "error"> & {
  error?: {
    code: ProblemCode;
    message: string;
    status: number;
    errors?: ProblemIssue[];
    extensions: Record<string, unknown>;
  };
};

export function encodeInput(input: ManifestInput): EncodedInput {
  const { error, ...rest } = input;
  if (error === undefined) return rest;
  // Only SementeErrors are expected here; anything else is a defect, reported as such without its text.
  const e = isSementeError(error) ? error : new SementeError("INTERNAL", "manifest parser failed");
  return {
    ...rest,
    error: { code: e.code, message: e.message, status: e.status, errors: e.errors, extensions: e.extensions },
  };
}

export function decodeInput(encoded: EncodedInput): ManifestInput {
  const { error, ...rest } = encoded;
  if (error === undefined) return rest;
  return {
    ...rest,
    error: new SementeError(error.code, error.message, {
      status: error.status,
      errors: error.errors,
      extensions: error.extensions,
    }),
  };
}

/** Parses and validates a manifest request; pure, so it may run in a worker and its outcome be cached. */
export function manifestInput(job: ManifestJob): ManifestInput {
  try {
    return job.kind === "run" && job.json ? fromRunEnvelope(job.text) : parse(job.text, job.json, false);
  } catch (error) {
    // A stack overflow on a pathological document is the input's fault, not the gateway's.
    if (!(error instanceof RangeError)) throw error;
    return { hash: sha256Hex(job.text), error: tooDeep(), dryRun: false };
  }
}

/** `POST /api/v1/seed-runs` as JSON: `{ operation?, manifest | manifest_yaml, dry_run }`, or a purge request. */
function fromRunEnvelope(text: string): ManifestInput {
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    // JSON.parse messages quote the offending input: replace them.
    return {
      hash: sha256Hex(text),
      error: new SementeError("MALFORMED_INPUT", "request body is not valid JSON"),
      dryRun: false,
    };
  }
  const issues: ProblemIssue[] = [];
  const body = (
    typeof envelope === "object" && envelope !== null && !Array.isArray(envelope) ? envelope : {}
  ) as Record<string, unknown>;
  if (body !== envelope) issues.push({ pointer: "", message: "must be an object" });
  const operation = body.operation ?? "seed";
  if (typeof operation !== "string" || !OPERATIONS.includes(operation)) {
    issues.push({ pointer: "/operation", message: "must be seed, reseed, purge or dr_drill" });
  } else if (operation === "purge") {
    return fromPurgeEnvelope(text, body, issues);
  }
  issues.push(...manifestEnvelopeIssues(body, operation));
  const dryRun = body.dry_run ?? false;
  const hasYaml = body.manifest_yaml !== undefined;
  if (issues.length > 0) {
    return {
      hash: sha256Hex(text),
      error: new SementeError("VALIDATION_FAILED", "invalid run request", { errors: issues }),
      dryRun: false,
    };
  }
  if (!hasYaml && nestedDeeperThan(body.manifest, MAX_DEPTH)) {
    return { hash: sha256Hex(text), error: tooDeep(), dryRun: false };
  }
  // Compact: indenting a deep document would multiply its size (every level adds to every line below).
  const input = hasYaml
    ? parse(body.manifest_yaml as string, false, dryRun as boolean)
    : parse(JSON.stringify(body.manifest), true, dryRun as boolean);
  // dry_run and the operation are part of the request: the same manifest as a dry run, or as a
  // reseed, is a different request.
  const kind = `${dryRun ? "dry-run" : "run"}${operation === "seed" ? "" : `\n${operation}`}`;
  return { ...input, operation: operation as RunOperation, hash: sha256Hex(`${input.hash}\n${kind}`) };
}

/** What is wrong with a seed or reseed envelope's members (names of unknown members are never echoed). */
function manifestEnvelopeIssues(body: Record<string, unknown>, operation: unknown): ProblemIssue[] {
  const issues: ProblemIssue[] = [];
  const known = new Set(["manifest", "manifest_yaml", "dry_run", "operation"]);
  if (Object.keys(body).some((name) => !known.has(name)))
    issues.push({
      pointer: "",
      message: "unknown property: only operation, manifest, manifest_yaml and dry_run are read",
    });
  const dryRun = body.dry_run ?? false;
  if (typeof dryRun !== "boolean") issues.push({ pointer: "/dry_run", message: "must be a boolean" });
  if ((operation === "reseed" || operation === "dr_drill") && dryRun === true)
    issues.push({ pointer: "/dry_run", message: `a ${operation} deletes data: it cannot be a dry run` });
  const hasObject = body.manifest !== undefined;
  const hasYaml = body.manifest_yaml !== undefined;
  if (hasObject === hasYaml)
    issues.push({ pointer: "", message: "exactly one of manifest or manifest_yaml is required" });
  if (hasYaml && typeof body.manifest_yaml !== "string")
    issues.push({ pointer: "/manifest_yaml", message: "must be a string" });
  return issues;
}

/** `{ operation: "purge", tenant, environment, mode? }`: no manifest, never a dry run. */
function fromPurgeEnvelope(text: string, body: Record<string, unknown>, issues: ProblemIssue[]): ManifestInput {
  const known = new Set(["operation", "tenant", "environment", "mode"]);
  if (Object.keys(body).some((name) => !known.has(name)))
    issues.push({
      pointer: "",
      message: "unknown property: a purge reads only operation, tenant, environment and mode",
    });
  const mode = body.mode ?? "baseline";
  for (const [name, value] of [
    ["tenant", body.tenant],
    ["environment", body.environment],
    ["mode", mode],
  ] as const) {
    if (typeof value !== "string" || value === "") issues.push({ pointer: `/${name}`, message: "must be a string" });
  }
  if (issues.length > 0) {
    return {
      hash: sha256Hex(text),
      error: new SementeError("VALIDATION_FAILED", "invalid purge request", { errors: issues }),
      dryRun: false,
      operation: "purge",
    };
  }
  const purge = { tenant: body.tenant as string, environment: body.environment as string, mode: mode as string };
  return {
    hash: sha256Hex(`purge\n${purge.tenant}\n${purge.environment}\n${purge.mode}`),
    dryRun: false,
    operation: "purge",
    purge,
  };
}

/** Deeper than any manifest can be (the schema's deepest field is 4 levels down). */
const MAX_DEPTH = 32;

function tooDeep(): SementeError {
  return new SementeError("MALFORMED_INPUT", "the request body is nested too deeply");
}

/** Whether `value` nests objects or arrays deeper than `max`, without recursing. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== "object" || node === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

function parse(text: string, json: boolean, dryRun: boolean): ManifestInput {
  try {
    const parsed = parseManifest(text, { contentType: json ? "application/json" : "application/yaml" });
    return { hash: parsed.hash, parsed, dryRun };
  } catch (error) {
    return { hash: sha256Hex(text), error, dryRun };
  }
}
