import { LineCounter, parseDocument } from "yaml";
import { SementeError } from "../errors/index.ts";
import { manifestHash } from "./hash.ts";
import { locatePointer } from "./source-map.ts";
import type { Manifest, ManifestIssue, ManifestSource, ParsedManifest, ParseManifestOptions } from "./types.ts";
import { validateManifest } from "./validate.ts";

/**
 * The code a failed manifest is thrown with when its issues carry several: the most specific
 * policy refusal wins, so operators see `MODE_NOT_ALLOWED` rather than a generic 422. Every
 * issue keeps its own `code` in `errors`.
 */
const CODE_PRIORITY = [
  "MALFORMED_INPUT",
  "UNSUPPORTED_MANIFEST_VERSION",
  "MODE_NOT_ALLOWED",
  "CAP_EXCEEDED",
  "FLAG_OFF",
  "VALIDATION_FAILED",
] as const satisfies readonly ManifestIssue["code"][];

const PROFILE_PATH = /(?:^|[\\/])seed_profiles[\\/]([^\\/]+)[\\/]([^\\/]+)\.(?:ya?ml|json)$/;

/**
 * Parses YAML or JSON text into a validated v1 manifest and its hash. Throws a `SementeError`
 * whose `errors` list every issue with its JSON pointer, message, code, line and column.
 * Nothing is defaulted into the manifest; see `resolveManifest` for the defaults.
 */
export function parseManifest(text: string, options: ParseManifestOptions = {}): ParsedManifest {
  const format = isJson(options) ? "json" : "yaml";
  const source: ManifestSource = options.filename === undefined ? { format } : { format, filename: options.filename };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw fail(
      doc.errors.map((e) => ({
        pointer: "",
        code: "MALFORMED_INPUT",
        message: (e.message.split("\n")[0] ?? e.code).replace(/ at line \d+, column \d+:$/, ""),
        line: e.linePos?.[0].line ?? 1,
        column: e.linePos?.[0].col ?? 1,
      })),
      source,
    );
  }
  if (format === "json") assertStrictJson(text, source);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    // Alias bombs and similar: the document is syntactically fine but not acceptable data.
    throw fail(
      [{ pointer: "", code: "MALFORMED_INPUT", message: (cause as Error).message, line: 1, column: 1 }],
      source,
    );
  }
  const issues = [...validateManifest(value), ...pathIssues(value, options.filename)];
  if (issues.length > 0) {
    throw fail(
      issues.map((i) => ({ ...i, ...locatePointer(doc, lineCounter, i.pointer) })),
      source,
    );
  }
  const manifest = value as Manifest;
  return { manifest, hash: manifestHash(manifest), source };
}

function isJson({ filename, contentType }: ParseManifestOptions): boolean {
  if (contentType !== undefined) return /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType.trim());
  return filename?.toLowerCase().endsWith(".json") ?? false;
}

function assertStrictJson(text: string, source: ManifestSource): void {
  try {
    JSON.parse(text);
  } catch (cause) {
    throw fail(
      [
        {
          pointer: "",
          code: "MALFORMED_INPUT",
          message: `not strict JSON: ${(cause as Error).message}`,
          line: 1,
          column: 1,
        },
      ],
      source,
      cause,
    );
  }
}

/** A canonical profile's path names its environment and tenant; they must agree with metadata. */
function pathIssues(value: unknown, filename: string | undefined): ManifestIssue[] {
  const match = filename === undefined ? null : PROFILE_PATH.exec(filename);
  const metadata = (value as { metadata?: { environment?: unknown; tenant?: unknown } } | null)?.metadata;
  if (!match || typeof metadata !== "object" || metadata === null) return [];
  const issues: ManifestIssue[] = [];
  if (metadata.environment !== match[1]) {
    issues.push({
      pointer: "/metadata/environment",
      code: "VALIDATION_FAILED",
      message: `environment must match the file's folder '${match[1]}'`,
    });
  }
  if (metadata.tenant !== match[2]) {
    issues.push({
      pointer: "/metadata/tenant",
      code: "VALIDATION_FAILED",
      message: `tenant must match the file name '${match[2]}'`,
    });
  }
  return issues;
}

function fail(issues: ManifestIssue[], source: ManifestSource, cause?: unknown): SementeError {
  const code = CODE_PRIORITY.find((c) => issues.some((i) => i.code === c)) ?? "VALIDATION_FAILED";
  const first = issues[0];
  const where = source.filename === undefined ? "manifest" : source.filename;
  const summary =
    first === undefined
      ? `${where} is invalid`
      : `${where} is invalid (${issues.length} issue${issues.length === 1 ? "" : "s"}); first at ${first.pointer || "/"} line ${first.line}: ${first.message}`;
  return new SementeError(code, summary, { errors: issues, cause });
}
