import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLError, type YAMLMap } from "yaml";
import { SementeError } from "../errors/index.ts";
import { manifestHash } from "./hash.ts";
import { locatePointer } from "./source-map.ts";
import type { Manifest, ManifestIssue, ManifestSource, ParsedManifest, ParseManifestOptions } from "./types.ts";
import { sourcePointer, validateManifest } from "./validate.ts";

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

/** Issues reported in full; the rest are only counted (`issues_omitted`), so an error body stays small. */
export const MAX_REPORTED_ISSUES = 50;

const PROFILE_PATH = /(?:^|[\\/])seed_profiles[\\/]([^\\/]+)[\\/]([^\\/]+)\.(?:ya?ml|json)$/;

/** Our own words for each YAML error: the parser's messages quote the source, ours never do. */
const YAML_MESSAGES: Record<string, string> = {
  ALIAS_PROPS: "an alias cannot carry an anchor or a tag",
  BAD_ALIAS: "an alias is not valid here",
  BAD_COLLECTION_TYPE: "the collection does not match its tag",
  BAD_DIRECTIVE: "a YAML directive is not valid",
  BAD_DQ_ESCAPE: "a double-quoted string holds an invalid escape",
  BAD_INDENT: "bad indentation",
  BAD_PROP_ORDER: "anchor and tag are in the wrong order",
  BAD_SCALAR_START: "a plain value cannot start with this character",
  BLOCK_AS_IMPLICIT_KEY: "a block collection cannot be a key",
  BLOCK_IN_FLOW: "a block collection cannot sit inside a flow collection",
  DUPLICATE_KEY: "Map keys must be unique",
  KEY_OVER_1024_CHARS: "an implicit key is longer than 1024 characters",
  MISSING_CHAR: "a closing character is missing",
  MULTILINE_IMPLICIT_KEY: "an implicit key must fit on one line",
  MULTIPLE_ANCHORS: "a node has more than one anchor",
  MULTIPLE_DOCS: "only one YAML document is allowed",
  MULTIPLE_TAGS: "a node has more than one tag",
  NON_STRING_KEY: "keys must be strings",
  TAB_AS_INDENT: "tabs cannot indent YAML",
  TAG_RESOLVE_FAILED: "a tag could not be resolved",
  UNEXPECTED_TOKEN: "unexpected token",
};

/**
 * Parses YAML or JSON text into a validated v1 manifest and its hash. Throws a `SementeError`
 * whose `errors` list the first `MAX_REPORTED_ISSUES` issues with their JSON pointer, message,
 * code, line and column (`issues_omitted` counts the rest). Time and memory are linear in the
 * size of the text, and no message quotes it. Nothing is defaulted into the manifest; see
 * `resolveManifest` for the defaults.
 */
export function parseManifest(text: string, options: ParseManifestOptions = {}): ParsedManifest {
  const format = isJson(options) ? "json" : "yaml";
  const source: ManifestSource = options.filename === undefined ? { format } : { format, filename: options.filename };
  const lineCounter = new LineCounter();
  const malformed = (message: string, offset = 0): ManifestIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { pointer: "", code: "MALFORMED_INPUT", message, line, column: col };
  };
  let doc: ReturnType<typeof parseDocument>;
  try {
    // yaml's own duplicate-key check compares every key with every other (quadratic): ours is linear.
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch {
    // The composer recurses per nesting level: a pathologically deep document overflows the stack.
    throw fail([malformed("the document is nested too deeply")], source);
  }
  const syntax = doc.errors.map((e: YAMLError) => malformed(YAML_MESSAGES[e.code] ?? "YAML syntax error", e.pos[0]));
  if (syntax.length === 0)
    syntax.push(
      ...duplicateKeys(doc.contents).map((offset) => malformed(YAML_MESSAGES.DUPLICATE_KEY as string, offset)),
    );
  if (syntax.length > 0) throw fail(syntax, source);
  if (format === "json") assertStrictJson(text, source);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch {
    // Alias bombs and similar: the document is syntactically fine but not acceptable data.
    throw fail([malformed("aliases expand too much or the document is nested too deeply")], source);
  }
  const issues = [...validateManifest(value), ...pathIssues(value, options.filename)];
  if (issues.length > 0) {
    // Locating walks the document once per issue: only the reported ones are located.
    const located = issues.map((i, n) =>
      n < MAX_REPORTED_ISSUES ? { ...i, ...locatePointer(doc, lineCounter, sourcePointer(i)) } : i,
    );
    throw fail(located, source);
  }
  const manifest = value as Manifest;
  return { manifest, hash: manifestHash(manifest), source };
}

/** Offsets of every repeated key of every mapping, in one pass (aliases are not followed). */
function duplicateKeys(root: unknown): number[] {
  const offsets: number[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) continue;
    if (isMap(node)) offsets.push(...repeatedKeys(node, stack));
    else if (isSeq(node)) stack.push(...node.items);
  }
  return offsets.sort((a, b) => a - b);
}

/** Offsets of the mapping's repeated scalar keys; pushes its non-scalar keys and its values onto `stack`. */
function repeatedKeys(node: YAMLMap, stack: unknown[]): number[] {
  const offsets: number[] = [];
  const seen = new Set<string>();
  for (const pair of node.items) {
    if (isScalar(pair.key)) {
      // yaml compares scalar keys by value (1 and "1" differ), so the type is part of the identity.
      const id = `${typeof pair.key.value}:${String(pair.key.value)}`;
      if (seen.has(id)) offsets.push(pair.key.range?.[0] ?? 0);
      seen.add(id);
    } else {
      stack.push(pair.key);
    }
    stack.push(pair.value);
  }
  return offsets;
}

function isJson({ filename, contentType }: ParseManifestOptions): boolean {
  if (contentType !== undefined) return /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType.trim());
  return filename?.toLowerCase().endsWith(".json") ?? false;
}

function assertStrictJson(text: string, source: ManifestSource): void {
  try {
    JSON.parse(text);
  } catch (cause) {
    // JSON.parse messages quote the offending token: say what is wrong, not what was read.
    throw fail(
      [{ pointer: "", code: "MALFORMED_INPUT", message: "not strict JSON", line: 1, column: 1 }],
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

function fail(all: ManifestIssue[], source: ManifestSource, cause?: unknown): SementeError {
  const code = CODE_PRIORITY.find((c) => all.some((i) => i.code === c)) ?? "VALIDATION_FAILED";
  const issues = all.slice(0, MAX_REPORTED_ISSUES);
  const first = issues[0];
  const where = source.filename === undefined ? "manifest" : source.filename;
  const summary =
    first === undefined
      ? `${where} is invalid`
      : `${where} is invalid (${all.length} issue${all.length === 1 ? "" : "s"}); first at ${first.pointer || "/"} line ${first.line}: ${first.message}`;
  const omitted = all.length - issues.length;
  return new SementeError(code, summary, {
    errors: issues,
    cause,
    ...(omitted > 0 ? { extensions: { issues_omitted: omitted } } : {}),
  });
}
