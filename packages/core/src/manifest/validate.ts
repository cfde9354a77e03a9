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
        message: `schema_version is not supported; this build implements ${MANIFEST_SCHEMA_VERSION}`,
      },
    ];
  }
  const issues = schemaIssues(ManifestSchema, value);
  if (issues.length > 0) return issues;
  return checkRules(value as Manifest);
}

/**
 * Where in the source an issue lies when that differs from its `pointer`: an unknown field is
 * reported at its parent (its name is the user's input, never echoed) but located at the field.
 */
const SOURCE_POINTER = new WeakMap<ManifestIssue, string>();

/** The pointer to locate `issue` in the source text by (see `SOURCE_POINTER`). */
export function sourcePointer(issue: ManifestIssue): string {
  return SOURCE_POINTER.get(issue) ?? issue.pointer;
}

/**
 * Structural issues of `value` against a TypeBox schema, one per pointer, with readable messages
 * that name the rule broken, never the value read. Work is linear in the size of `value`.
 */
export function schemaIssues(schema: TSchema, value: unknown): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    // TypeBox reports a missing member twice (required, then wrong type): keep the first.
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      const issue: ManifestIssue = {
        pointer: error.path.slice(0, error.path.lastIndexOf("/")),
        code: "VALIDATION_FAILED",
        message: "unknown field",
      };
      SOURCE_POINTER.set(issue, error.path);
      issues.push(issue);
      continue;
    }
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
    case ValueErrorType.StringPattern:
      return `must be ${String(schema["x-semente-hint"] ?? `a string matching ${schema.pattern}`)}`;
    case ValueErrorType.Union:
      if (Array.isArray(schema["x-semente-enum"])) {
        return `must be one of: ${(schema["x-semente-enum"] as string[]).join(", ")}`;
      }
      return error.message;
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(schema.const)}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be <= ${schema.maximum}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be >= ${schema.minimum}`;
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return `must be > ${schema.exclusiveMinimum}`;
    case ValueErrorType.Integer:
      return `must be an integer`;
    case ValueErrorType.Number:
      return `must be a finite number`;
    case ValueErrorType.String:
      return `must be a string`;
    case ValueErrorType.Boolean:
      return `must be true or false`;
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
