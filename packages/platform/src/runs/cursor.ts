import { SementeError } from "@semente/core/errors";

/** Position after the last row of a page: creation time in microseconds since the epoch, and id. */
export interface RunCursor {
  createdUs: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(cursor: RunCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdUs, cursor.id])).toString("base64url");
}

/** Throws `MALFORMED_INPUT` for anything `encodeCursor` did not produce. */
export function decodeCursor(value: string): RunCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch (cause) {
    throw new SementeError("MALFORMED_INPUT", "Invalid pagination cursor", { cause });
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== "string" ||
    !/^-?\d{1,20}$/.test(parsed[0]) ||
    typeof parsed[1] !== "string" ||
    !UUID.test(parsed[1])
  ) {
    throw new SementeError("MALFORMED_INPUT", "Invalid pagination cursor");
  }
  return { createdUs: parsed[0], id: parsed[1] };
}
