import type { TSchema } from "@sinclair/typebox";
import { type ValueError, ValueErrorType } from "@sinclair/typebox/errors";
import { Value } from "@sinclair/typebox/value";
import { checkRules } from "./rules.ts";
import { ManifestSchema } from "./schema.ts";
import { type Manifest, MANIFEST_SCHEMA_VERSION, type ManifestIssue } from "./types.ts";

/**
 * Every problem of an already-parsed manifest, without throwing. A `schema_version` other than 1
 * is reported alone (`UNSUPPORTED_MANIFEST_VERSION`): the rest of an unknown version cannot be
 * judged by v1 rules. Cross-field rules run only once the structure is valid, so every issue they
 * report is about a well-formed manifest. Issues carry no line/column (see `parseManifest`).
 */
export function validateManifest(value: unknown): ManifestIssue[] {
  if (isRecord(value) && "schema_version" in value && value.schema_version !== MANIFEST_SCHEMA_VERSION) {
    return [
      {
        pointer: "/schema_version",
        code: "UNSUPPORTED_MANIFEST_VERSION",
        message: `schema_version ${JSON.stringify(value.schema_version)} is not supported; this build implements ${MANIFEST_SCHEMA_VERSION}`,
      },
    ];
  }
  const issues = schemaIssues(ManifestSchema, value);
  if (issues.length > 0) return issues;
  return checkRules(value as Manifest);
}

/** Structural issues of `value` against a TypeBox schema, one per pointer, with readable messages. */
export function schemaIssues(schema: TSchema, value: unknown): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    // TypeBox reports a missing member twice (required, then wrong type): keep the first.
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    issues.push({ pointer: error.path, code: "VALIDATION_FAILED", message: describe(error) });
  }
  return issues;
}

/** Type guard: `value` is a valid v1 manifest. */
export function isManifest(value: unknown): value is Manifest {
  return validateManifest(value).length === 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function lastToken(pointer: string): string {
  return pointer
    .slice(pointer.lastIndexOf("/") + 1)
    .replaceAll("~1", "/")
    .replaceAll("~0", "~");
}

function describe(error: ValueError): string {
  const schema = error.schema as TSchema & Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `missing required field '${lastToken(error.path)}'`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `unknown field '${lastToken(error.path)}'`;
    case ValueErrorType.StringPattern:
      return `must be ${String(schema["x-semente-hint"] ?? `a string matching ${schema.pattern}`)}${got(error.value)}`;
    case ValueErrorType.Union:
      if (Array.isArray(schema["x-semente-enum"])) {
        return `must be one of: ${(schema["x-semente-enum"] as string[]).join(", ")}${got(error.value)}`;
      }
      return error.message;
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(schema.const)}${got(error.value)}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be <= ${schema.maximum}${got(error.value)}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be >= ${schema.minimum}${got(error.value)}`;
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return `must be > ${schema.exclusiveMinimum}${got(error.value)}`;
    case ValueErrorType.Integer:
      return `must be an integer${got(error.value)}`;
    case ValueErrorType.Number:
      return `must be a finite number${got(error.value)}`;
    case ValueErrorType.String:
      return `must be a string${got(error.value)}`;
    case ValueErrorType.Boolean:
      return `must be true or false${got(error.value)}`;
    case ValueErrorType.Object:
      return "must be a mapping (object)";
    case ValueErrorType.Array:
      return "must be a list";
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${schema.minItems} item(s)`;
    case ValueErrorType.ArrayUniqueItems:
      return "must not repeat items";
    case ValueErrorType.StringMinLength:
      return `must be at least ${schema.minLength} character(s)`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${schema.maxLength} characters`;
    default:
      return error.message;
  }
}

/** Echoes short scalar values (manifests hold no secrets) so the author sees what was read. */
function got(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return ` (got ${value})`;
  if (typeof value === "string" && value.length <= 40) return ` (got ${JSON.stringify(value)})`;
  return "";
}
