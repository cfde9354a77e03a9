import { SementeError } from "@semente/shared/errors";
import { sha256Hex } from "@semente/shared/governance";
import type { ParsedManifest } from "@semente/shared/manifest";
import { type ManifestParser, parseUncached } from "./manifest-cache.ts";

/** Reads the body as UTF-8 text, refusing more than `maxBytes` (413) without buffering past it. */
export async function readText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // The decoder's message is generic; say what is wrong without echoing the bytes.
    throw new SementeError("MALFORMED_INPUT", "request body is not valid UTF-8");
  }
}

function tooLarge(maxBytes: number): SementeError {
  return new SementeError("MALFORMED_INPUT", `request body larger than ${maxBytes} bytes`, { status: 413 });
}

function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function isJsonMedia(request: Request): boolean {
  const type = mediaType(request);
  return type === "application/json" || type.endsWith("+json");
}

function isYamlMedia(request: Request): boolean {
  return ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", ""].includes(mediaType(request));
}

/**
 * A parsed manifest, or the error parsing it raised, plus the content hash for the idempotency
 * fingerprint (the manifest hash when it parsed, else the body's sha256). Parse errors are returned,
 * not thrown, so that a 422 is itself stored under the Idempotency-Key and replayed.
 */
export type ManifestInput = { hash: string; parsed?: ParsedManifest; error?: unknown; dryRun: boolean };

/** A manifest sent as the body itself: YAML (`application/yaml`) or JSON. */
export function manifestFromBody(request: Request, text: string, parser = parseUncached): ManifestInput {
  if (!isJsonMedia(request) && !isYamlMedia(request)) {
    return { hash: sha256Hex(text), error: unsupported(), dryRun: false };
  }
  return parse(parser, text, isJsonMedia(request) ? "application/json" : "application/yaml", false);
}

/** `POST /api/v1/seed-runs`: `{ manifest | manifest_yaml, dry_run }` as JSON, or the manifest as raw YAML. */
export function manifestFromRunRequest(request: Request, text: string, parser = parseUncached): ManifestInput {
  if (!isJsonMedia(request)) return manifestFromBody(request, text, parser);
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
  const issues: { pointer: string; message: string }[] = [];
  const body = (
    typeof envelope === "object" && envelope !== null && !Array.isArray(envelope) ? envelope : {}
  ) as Record<string, unknown>;
  if (body !== envelope) issues.push({ pointer: "", message: "must be an object" });
  const known = new Set(["manifest", "manifest_yaml", "dry_run"]);
  for (const name of Object.keys(body))
    if (!known.has(name)) issues.push({ pointer: `/${name}`, message: "unknown property" });
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
  const input = hasYaml
    ? parse(parser, body.manifest_yaml as string, "application/yaml", dryRun as boolean)
    : parse(parser, JSON.stringify(body.manifest, null, 2), "application/json", dryRun as boolean);
  // dry_run is part of the request: the same manifest as a dry run is a different request.
  return { ...input, hash: sha256Hex(`${input.hash}\n${dryRun ? "dry-run" : "run"}`) };
}

function parse(parser: ManifestParser, text: string, contentType: string, dryRun: boolean): ManifestInput {
  try {
    const parsed = parser(text, contentType);
    return { hash: parsed.hash, parsed, dryRun };
  } catch (error) {
    return { hash: sha256Hex(text), error, dryRun };
  }
}

function unsupported(): SementeError {
  return new SementeError("MALFORMED_INPUT", "Content-Type must be application/yaml or application/json", {
    status: 415,
  });
}
