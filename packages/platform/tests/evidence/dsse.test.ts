import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isSementeError, type SementeError } from "@semente/core/errors";
import {
  canonicalReportBytes,
  EVIDENCE_PAYLOAD_TYPE,
  pae,
  parseEnvelope,
  sha256Hex,
  signEnvelope,
  verifyEnvelope,
} from "../../src/evidence/index.ts";
import { createVaultTransitKeyProvider } from "../../src/keys/index.ts";
import { canonicalJson } from "@semente/core/manifest";
import { startVaultServer, type VaultTestServer } from "../keys/vault-server.ts";
import { devKeys } from "./utils.ts";

const scope = { environment: "staging", tenant: "acme" };
const payload = new TextEncoder().encode(canonicalJson({ run_id: "r-1", rows: 42, b: [1, 2], a: "x" }));

function failure(fn: () => unknown): SementeError {
  try {
    fn();
  } catch (error) {
    if (isSementeError(error)) return error;
    throw error;
  }
  throw new Error("expected a SementeError");
}

/** The envelope with one character of its base64 payload changed (one payload byte altered). */
function tamperPayload(b64: string): string {
  const bytes = Buffer.from(b64, "base64");
  bytes[10] = (bytes[10] as number) ^ 0x01;
  return bytes.toString("base64");
}

let vault: VaultTestServer;
beforeAll(() => {
  vault = startVaultServer();
  vault.createKey("semente-evidence-staging", "ed25519");
});
afterAll(() => vault.stop());

describe("DSSE", () => {
  test("dsse - PAE matches the specification's example", () => {
    const out = new TextDecoder().decode(pae("http://example.com/HelloWorld", new TextEncoder().encode("hello world")));
    expect(out).toBe("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
    // Lengths are in bytes, not UTF-16 code units.
    expect(new TextDecoder().decode(pae("t", new TextEncoder().encode("é")))).toBe("DSSEv1 1 t 2 é");
  });

  test("dsse - the payload is RFC 8785 canonical JSON (number forms and UTF-16 key order)", () => {
    const report = {
      numbers: [1e30, 4.5, 0.002, 1e-27, -0, 333333333.3333333],
      "\u20ac": 1,
      "\r": 2,
      "\ufb33": 3,
      "1": 4,
      "\ud83d\ude00": 5,
      "\u0080": 6,
      "\u00f6": 7,
    };
    const text = new TextDecoder().decode(canonicalReportBytes(report as never));
    expect(text).toBe(
      '{"\\r":2,"1":4,"numbers":[1e+30,4.5,0.002,1e-27,0,333333333.3333333],"\u0080":6,"\u00f6":7,"\u20ac":1,"\ud83d\ude00":5,"\ufb33":3}',
    );
  });

  test("dsse - signs and verifies with the local dev key provider", async () => {
    const keys = devKeys();
    const envelope = await signEnvelope(keys, { environment: "dev", tenant: "acme" }, payload);
    expect(envelope.payloadType).toBe(EVIDENCE_PAYLOAD_TYPE);
    expect(Buffer.from(envelope.payload, "base64").equals(Buffer.from(payload))).toBe(true);
    const publicKey = await keys.publicKey({ environment: "dev", tenant: "acme" });
    expect(envelope.signatures[0]?.keyid).toBe(publicKey.keyId);
    const verified = verifyEnvelope(envelope, publicKey);
    expect(verified.payloadSha256).toBe(sha256Hex(payload));
    expect(verified.keyId).toBe(publicKey.keyId);
  });

  test("dsse - signs with Vault Transit sign and verifies with its public key", async () => {
    const keys = createVaultTransitKeyProvider({ endpoint: vault.url, token: vault.token });
    const envelope = await signEnvelope(keys, scope, payload);
    expect(envelope.signatures[0]?.keyid).toBe("vault-transit:transit/semente-evidence-staging:v1");
    const signRequest = vault.requests.find((r) => r.path.includes("/sign/"));
    expect(signRequest?.path).toBe("/v1/transit/sign/semente-evidence-staging");
    // Vault signs the PAE, not the bare payload.
    const input = (signRequest?.body as { input: string }).input;
    expect(Buffer.from(input, "base64").toString()).toStartWith(`DSSEv1 ${EVIDENCE_PAYLOAD_TYPE.length} `);
    const verified = verifyEnvelope(envelope, await keys.publicKey(scope));
    expect(verified.payloadSha256).toBe(sha256Hex(payload));
  });

  test("dsse - one altered payload byte fails verification with a clear message", async () => {
    const keys = devKeys();
    const envelope = await signEnvelope(keys, { environment: "dev", tenant: "acme" }, payload);
    const publicKey = await keys.publicKey({ environment: "dev", tenant: "acme" });
    const error = failure(() => verifyEnvelope({ ...envelope, payload: tamperPayload(envelope.payload) }, publicKey));
    expect(error.code).toBe("EVIDENCE_INVALID");
    expect(error.message).toContain("signature verification failed");
  });

  test("dsse - another key, another payload type, bad base64 and a non-envelope are refused", async () => {
    const keys = devKeys();
    const envelope = await signEnvelope(keys, { environment: "dev", tenant: "acme" }, payload);
    const otherKey = await devKeys("33").publicKey({ environment: "dev", tenant: "acme" });
    expect(failure(() => verifyEnvelope(envelope, otherKey)).message).toContain("signature verification failed");
    const publicKey = await keys.publicKey({ environment: "dev", tenant: "acme" });
    expect(failure(() => verifyEnvelope({ ...envelope, payloadType: "text/plain" }, publicKey)).message).toContain(
      "payloadType",
    );
    expect(failure(() => verifyEnvelope({ ...envelope, payload: `${envelope.payload}!` }, publicKey)).code).toBe(
      "EVIDENCE_INVALID",
    );
    const sig = envelope.signatures[0]?.sig ?? "";
    const flipped = `${sig.slice(0, 5)}${sig[5] === "A" ? "B" : "A"}${sig.slice(6)}`;
    expect(
      failure(() => verifyEnvelope({ ...envelope, signatures: [{ keyid: publicKey.keyId, sig: flipped }] }, publicKey))
        .code,
    ).toBe("EVIDENCE_INVALID");
    expect(failure(() => parseEnvelope("{not json")).code).toBe("EVIDENCE_INVALID");
    expect(failure(() => parseEnvelope(JSON.stringify({ payload: "x" }))).code).toBe("EVIDENCE_INVALID");
  });
});
