/**
 * Browser-side verification of a DSSE evidence envelope against the gateway's JWKS
 * (`GET /api/v1/evidence/keys`: Ed25519 OKP keys whose `kid` is the DSSE `keyid`). WebCrypto only,
 * so the same code runs in Chromium and in Bun's tests.
 */

import { pae } from "../../../packages/core/src/contracts/dsse.ts";

export { pae };

/** A DSSE envelope as `GET /api/v1/seed-runs/{id}/evidence` returns it. */
export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/** One JWK of the key set (only Ed25519 OKP keys are used). */
export interface Jwk {
  kty: string;
  crv?: string;
  x?: string;
  kid?: string;
  alg?: string;
  use?: string;
}

/** Outcome shown next to the evidence. */
export type SignatureStatus =
  | { status: "valid"; keyid: string }
  | { status: "invalid"; reason: string }
  | { status: "unknown-key"; keyids: string[] }
  | { status: "unsupported"; reason: string };

/** WebCrypto takes buffers backed by an ArrayBuffer (not a SharedArrayBuffer). */
const buf = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

export function base64ToBytes(text: string): Uint8Array {
  const normal = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = normal + "=".repeat((4 - (normal.length % 4)) % 4);
  const raw = atob(padded);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** Hex SHA-256 of bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buf(bytes)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Decodes the envelope's payload as JSON (the evidence report). */
export function decodePayload(envelope: Envelope): unknown {
  return JSON.parse(new TextDecoder().decode(base64ToBytes(envelope.payload)));
}

/** Verifies the envelope: valid when one signature verifies under the JWKS key of the same `kid`. */
export async function verifyEnvelope(envelope: Envelope, jwks: { keys?: Jwk[] }): Promise<SignatureStatus> {
  const keys = (jwks.keys ?? []).filter((k) => k.kty === "OKP" && k.crv === "Ed25519" && typeof k.x === "string");
  let body: Uint8Array;
  try {
    body = base64ToBytes(envelope.payload);
  } catch {
    return { status: "invalid", reason: "payload is not base64" };
  }
  const message = pae(envelope.payloadType, body);
  const keyids = envelope.signatures.map((s) => s.keyid);
  let matched = false;
  for (const signature of envelope.signatures) {
    const jwk = keys.find((k) => k.kid === signature.keyid);
    if (jwk === undefined) continue;
    matched = true;
    let key: CryptoKey;
    try {
      key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, [
        "verify",
      ]);
    } catch (error) {
      return { status: "unsupported", reason: `this browser cannot import Ed25519 keys (${String(error)})` };
    }
    let sig: Uint8Array;
    try {
      sig = base64ToBytes(signature.sig);
    } catch {
      continue;
    }
    if (await crypto.subtle.verify({ name: "Ed25519" }, key, buf(sig), buf(message))) {
      return { status: "valid", keyid: signature.keyid };
    }
  }
  return matched
    ? { status: "invalid", reason: "no signature verifies under its key" }
    : { status: "unknown-key", keyids };
}
