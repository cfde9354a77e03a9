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
export type ManifestInput = { hash: string; parsed?: ParsedManifest; error?: unknown; dryRun: boolean };

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

/** `POST /api/v1/seed-runs` as JSON: `{ manifest | manifest_yaml, dry_run }`. */
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
  const known = new Set(["manifest", "manifest_yaml", "dry_run"]);
  // The unknown member's name is input: reported at the envelope, never echoed.
  if (Object.keys(body).some((name) => !known.has(name)))
    issues.push({ pointer: "", message: "unknown property: only manifest, manifest_yaml and dry_run are read" });
  const dryRun = body.dry_run ?? false;
  if (typeof dryRun !== "boolean") issues.push({ pointer: "/dry_run", message: "must be a boolean" });
  const hasObject = body.manifest !== undefined;
  const hasYaml = body.manifest_yaml !== undefined;
  if (hasObject === hasYaml)
    issues.push({ pointer: "", message: "exactly one of manifest or manifest_yaml is required" });
  if (hasYaml && typeof body.manifest_yaml !== "string")
    issues.push({ pointer: "/manifest_yaml", message: "must be a string" });
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
  // dry_run is part of the request: the same manifest as a dry run is a different request.
  return { ...input, hash: sha256Hex(`${input.hash}\n${dryRun ? "dry-run" : "run"}`) };
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
