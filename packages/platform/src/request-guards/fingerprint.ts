import { createHash } from "node:crypto";

/** sha256 (hex) of anything, used for body hashes of requests without a manifest. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The fingerprint of an idempotent request: sha256 over route, principal and the manifest (or body) hash. */
export function requestFingerprint(route: string, principal: string, contentHash: string): string {
  return sha256Hex(`${route}\n${principal}\n${contentHash}`);
}
