import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";

// RFC 8410 DER headers: PKCS#8 PrivateKeyInfo and SPKI for id-Ed25519 (1.3.101.112).
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** An Ed25519 private key from its 32-byte seed. */
export function ed25519FromSeed(seed: Uint8Array): { privateKey: KeyObject; publicKeyPem: string } {
  if (seed.length !== 32) throw new RangeError("Ed25519 seed must be 32 bytes");
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const publicKeyPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
  return { privateKey, publicKeyPem };
}

/** SPKI PEM of a raw 32-byte Ed25519 public key (Vault Transit returns ed25519 keys raw, base64). */
export function ed25519RawToPem(raw: Uint8Array): string {
  if (raw.length !== 32) throw new RangeError("Ed25519 public key must be 32 bytes");
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
  return key.export({ type: "spki", format: "pem" }).toString();
}
