import { type Problem, SementeError, toProblem } from "@semente/core/errors";

/** What a route handler returns: a status, its own headers and a JSON body (or none). */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialisable body; omitted for bodiless replies (304). */
  json?: unknown;
}

const encoder = new TextEncoder();

/** The body bytes and headers of a reply, exactly as sent (and as stored for idempotent replays). */
export function encodeReply(reply: Reply): { status: number; headers: [string, string][]; body: Uint8Array } {
  const headers: [string, string][] = Object.entries(reply.headers ?? {});
  if (reply.json === undefined) return { status: reply.status, headers, body: new Uint8Array() };
  if (!headers.some(([name]) => name.toLowerCase() === "content-type")) {
    headers.unshift(["Content-Type", "application/json"]);
  }
  return { status: reply.status, headers, body: encoder.encode(JSON.stringify(reply.json)) };
}

export function toResponse(encoded: { status: number; headers: [string, string][]; body: Uint8Array }): Response {
  const bodyless = encoded.status === 304 || encoded.status === 204 || encoded.body.byteLength === 0;
  return new Response(bodyless ? null : encoded.body, { status: encoded.status, headers: encoded.headers });
}

/** The RFC 9457 reply of an error; `Retry-After` from the `retry_after` extension, `WWW-Authenticate` on 401. */
export function problemReply(error: unknown, instance: string): Reply {
  const problem: Problem = toProblem(error, instance);
  const headers: Record<string, string> = { "Content-Type": "application/problem+json" };
  if (typeof problem.retry_after === "number") headers["Retry-After"] = String(problem.retry_after);
  if (problem.status === 401) {
    headers["WWW-Authenticate"] =
      error instanceof SementeError && error.message === "missing bearer token"
        ? 'Bearer realm="semente"'
        : 'Bearer realm="semente", error="invalid_token"';
  }
  return { status: problem.status, headers, json: problem };
}
