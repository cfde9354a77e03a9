import { SementeError } from "../errors/index.ts";

/**
 * Serializes JSON data canonically in the manner of RFC 8785 (JCS): object keys sorted by UTF-16
 * code units, no whitespace, numbers in ECMAScript shortest round-trip form, strings escaped as
 * `JSON.stringify` does. Object members whose value is `undefined` are omitted (as in JSON);
 * anything else that JSON cannot represent (non-finite numbers, bigint, functions, `undefined` in
 * arrays, non-plain objects such as `Date` or `Map`) throws `MALFORMED_INPUT`, because silently
 * coercing it would let two different inputs share a hash.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, "");
}

function serialize(value: unknown, pointer: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw notJson(pointer, "a non-finite number");
      return JSON.stringify(value);
    case "object":
      break;
    default:
      throw notJson(pointer, `a ${typeof value}`);
  }
  if (Array.isArray(value)) {
    const items = value.map((item, i) => {
      if (item === undefined) throw notJson(`${pointer}/${i}`, "undefined");
      return serialize(item, `${pointer}/${i}`);
    });
    return `[${items.join(",")}]`;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw notJson(pointer, "a non-plain object");
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    members.push(`${JSON.stringify(key)}:${serialize(member, `${pointer}/${escapePointer(key)}`)}`);
  }
  return `{${members.join(",")}}`;
}

/** Escapes one JSON Pointer reference token (RFC 6901). */
export function escapePointer(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

function notJson(pointer: string, what: string): SementeError {
  return new SementeError("MALFORMED_INPUT", `value at '${pointer || "/"}' is ${what}, which JSON cannot represent`, {
    errors: [{ pointer, message: `${what} is not JSON data` }],
  });
}
