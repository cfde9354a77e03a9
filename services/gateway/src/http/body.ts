import { SementeError } from "@semente/core/errors";

/**
 * Reads the body as UTF-8 text, refusing more than `maxBytes` (413) while it streams: a declared
 * `Content-Length` over the limit is refused unread, and a chunked body is cut as soon as it
 * passes the limit, so memory stays bounded by `maxBytes` whatever the client sends.
 */
export async function readText(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // The decoder's message is generic; say what is wrong without echoing the bytes.
    throw new SementeError("MALFORMED_INPUT", "request body is not valid UTF-8");
  }
}

function tooLarge(maxBytes: number): SementeError {
  return new SementeError("PAYLOAD_TOO_LARGE", `request body larger than ${maxBytes} bytes`);
}

function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function isJsonMedia(request: Request): boolean {
  const type = mediaType(request);
  return type === "application/json" || type.endsWith("+json");
}

const YAML_MEDIA = new Set(["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", ""]);

/** Throws 415 unless the body is declared YAML or JSON (checked from the header, before reading the body). */
export function assertManifestMedia(request: Request): void {
  if (isJsonMedia(request) || YAML_MEDIA.has(mediaType(request))) return;
  throw new SementeError("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/yaml or application/json");
}
