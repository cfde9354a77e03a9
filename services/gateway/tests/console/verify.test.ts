import { describe, expect, test } from "bun:test";
import { generateKeyPairSync, sign } from "node:crypto";
import { pae as serverPae } from "@semente/platform/evidence";
import { decodePayload, type Envelope, type Jwk, pae, verifyEnvelope } from "../../console/verify.ts";

const key = generateKeyPairSync("ed25519");
const other = generateKeyPairSync("ed25519");
const jwk = (k: typeof key, kid: string) => ({ ...k.publicKey.export({ format: "jwk" }), kid }) as Jwk;
const TYPE = "application/vnd.semente.evidence+json";

function envelope(report: unknown, kid = "k1", signer = key): Envelope {
  const payload = Buffer.from(JSON.stringify(report));
  return {
    payloadType: TYPE,
    payload: payload.toString("base64"),
    signatures: [{ keyid: kid, sig: sign(null, serverPae(TYPE, payload), signer.privateKey).toString("base64") }],
  };
}

describe("browser evidence verification (WebCrypto Ed25519 against a JWKS)", () => {
  test("verify - the browser's PAE is the server's", () => {
    const body = new TextEncoder().encode('{"a":"ü"}');
    expect(pae(TYPE, body)).toEqual(serverPae(TYPE, body));
  });

  test("verify - valid under the key whose kid is the DSSE keyid", async () => {
    const env = envelope({ checklist: [] });
    expect(await verifyEnvelope(env, { keys: [jwk(other, "k0"), jwk(key, "k1")] })).toEqual({
      status: "valid",
      keyid: "k1",
    });
    expect(decodePayload(env)).toEqual({ checklist: [] });
  });

  test("verify - a changed payload, a wrong key under the right kid, an unknown kid", async () => {
    const env = envelope({ checklist: [] });
    const tampered = { ...env, payload: Buffer.from('{"checklist":[1]}').toString("base64") };
    expect((await verifyEnvelope(tampered, { keys: [jwk(key, "k1")] })).status).toBe("invalid");
    expect((await verifyEnvelope(env, { keys: [jwk(other, "k1")] })).status).toBe("invalid");
    expect(await verifyEnvelope(env, { keys: [jwk(key, "k2")] })).toEqual({ status: "unknown-key", keyids: ["k1"] });
    expect(await verifyEnvelope(env, {})).toEqual({ status: "unknown-key", keyids: ["k1"] });
    // Keys that are not Ed25519 OKP are not candidates.
    expect((await verifyEnvelope(env, { keys: [{ kty: "RSA", kid: "k1", x: "AA" }] })).status).toBe("unknown-key");
  });

  test("verify - a signature that is not base64, or of the wrong length, does not verify", async () => {
    const env = envelope({});
    const bad = { ...env, signatures: [{ keyid: "k1", sig: "%%%" }] };
    expect((await verifyEnvelope(bad, { keys: [jwk(key, "k1")] })).status).toBe("invalid");
    const short = { ...env, signatures: [{ keyid: "k1", sig: "AAAA" }] };
    expect((await verifyEnvelope(short, { keys: [jwk(key, "k1")] })).status).toBe("invalid");
  });
});
