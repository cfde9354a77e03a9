import { createPublicKey } from "node:crypto";
import type { Sql } from "../db/index.ts";

/** One public key of the evidence JWKS (RFC 7517 / RFC 8037): Ed25519 as an `OKP` key. */
export interface EvidenceJwk {
  kty: "OKP";
  crv: "Ed25519";
  /** base64url of the 32-byte public key. */
  x: string;
  /** Equal to the DSSE signature `keyid` of the reports it verifies. */
  kid: string;
  use: "sig";
  alg: "EdDSA";
}

/** The JWK of an Ed25519 SPKI PEM public key. Throws a TypeError for any other key type. */
export function jwkFromPem(kid: string, publicKeyPem: string): EvidenceJwk {
  const jwk = createPublicKey(publicKeyPem).export({ format: "jwk" });
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
    throw new TypeError(`evidence key ${kid} is not an Ed25519 key`);
  }
  return { kty: "OKP", crv: "Ed25519", x: jwk.x, kid, use: "sig", alg: "EdDSA" };
}

/** Records the public key of a signing key id (insert-only: an id's material never changes). */
export async function recordEvidenceKey(sql: Sql, keyId: string, publicKeyPem: string): Promise<void> {
  jwkFromPem(keyId, publicKeyPem);
  await sql`
    insert into seed.evidence_keys (key_id, public_key_pem) values (${keyId}, ${publicKeyPem})
    on conflict (key_id) do nothing`;
}

/**
 * The JWKS of the evidence signing keys: every recorded key that signed a report still under
 * retention (`seed.evidence_index.retain_until` in the future), sorted by kid.
 */
export async function evidenceJwks(sql: Sql): Promise<{ keys: EvidenceJwk[] }> {
  const rows = await sql<{ key_id: string; public_key_pem: string }[]>`
    select k.key_id, k.public_key_pem from seed.evidence_keys k
     where exists (select 1 from seed.evidence_index i where i.signature_key_id = k.key_id and i.retain_until > now())
     order by k.key_id`;
  return { keys: rows.map((r) => jwkFromPem(r.key_id, r.public_key_pem)) };
}
