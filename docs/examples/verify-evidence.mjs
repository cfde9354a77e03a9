#!/usr/bin/env node
// Verifies a Semente evidence report (a DSSE envelope) with nothing but Node's crypto:
//
//   node verify-evidence.mjs <report.dsse.json> <jwks.json>
//
// The JWKS is what GET /api/v1/evidence/keys answers. Exit 0 and one line on stdout when the
// Ed25519 signature over the DSSE pre-authentication encoding (PAE) verifies; exit 1 otherwise.
// It imports no Semente code on purpose: an auditor can read and run it on its own.
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";

/** DSSE v1 PAE: "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths in bytes, decimal. */
function pae(payloadType, payload) {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, "utf8"),
    type,
    Buffer.from(` ${payload.length} `, "utf8"),
    payload,
  ]);
}

function verifyReport(envelope, jwks) {
  const payload = Buffer.from(envelope.payload, "base64");
  for (const signature of envelope.signatures ?? []) {
    const jwk = (jwks.keys ?? []).find((k) => k.kid === signature.keyid);
    if (jwk === undefined || jwk.kty !== "OKP" || jwk.crv !== "Ed25519") continue;
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" });
    if (verify(null, pae(envelope.payloadType, payload), key, Buffer.from(signature.sig, "base64"))) {
      return { keyid: signature.keyid, report: JSON.parse(payload.toString("utf8")) };
    }
  }
  return null;
}

{
  const [envelopePath, jwksPath] = process.argv.slice(2);
  if (envelopePath === undefined || jwksPath === undefined) {
    console.error("usage: node verify-evidence.mjs <report.dsse.json> <jwks.json>");
    process.exit(2);
  }
  const bytes = readFileSync(envelopePath);
  const result = verifyReport(JSON.parse(bytes.toString("utf8")), JSON.parse(readFileSync(jwksPath, "utf8")));
  if (result === null) {
    console.error("signature does not verify with any key of the JWKS");
    process.exit(1);
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  console.log(
    `valid: run ${result.report.run?.id} (${result.report.run?.state}), key ${result.keyid}, dataset ${result.report.dataset?.digest}, envelope sha256 ${sha256}`,
  );
}
