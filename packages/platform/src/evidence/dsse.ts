import { createHash, createPublicKey, verify as edVerify } from "node:crypto";
import { SementeError } from "@semente/core/errors";
import type { KeyProvider, KeyPublic, KeyScope } from "../keys/index.ts";
import { canonicalJson } from "@semente/core/manifest";
import { pae } from "@semente/core/contracts";

export { pae };
import type { EvidenceReport } from "./report-types.ts";
import { EVIDENCE_PAYLOAD_TYPE, type DsseEnvelope } from "./types.ts";

const encoder = new TextEncoder();

/** The report's RFC 8785 canonical JSON as UTF-8 bytes: the DSSE payload and what `sha256` covers. */
export function canonicalReportBytes(report: EvidenceReport): Uint8Array {
  return encoder.encode(canonicalJson(report));
}

/** Hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Signs `payload` through the key provider (Vault Transit `sign` or the isolated-dev key). */
export async function signEnvelope(
  keys: KeyProvider,
  scope: KeyScope,
  payload: Uint8Array,
  payloadType: string = EVIDENCE_PAYLOAD_TYPE,
): Promise<DsseEnvelope> {
  const { signature, keyId } = await keys.sign(scope, pae(payloadType, payload));
  return {
    payloadType,
    payload: Buffer.from(payload).toString("base64"),
    signatures: [{ keyid: keyId, sig: Buffer.from(signature).toString("base64") }],
  };
}

/** What a successful {@link verifyEnvelope} proves. */
export interface VerifiedEnvelope {
  /** The decoded payload bytes. */
  payload: Uint8Array;
  /** Hex SHA-256 of the payload. */
  payloadSha256: string;
  /** The key id of the signature that verified. */
  keyId: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function invalid(message: string, pointer = ""): SementeError {
  return new SementeError("EVIDENCE_INVALID", message, { errors: [{ pointer, message }] });
}

/** Strict base64: decoding and re-encoding must give the same text, so no altered byte goes unseen. */
function decodeBase64(text: unknown, what: string, pointer: string): Uint8Array {
  if (typeof text !== "string" || !BASE64.test(text) || text.length % 4 !== 0) {
    throw invalid(`${what} is not standard base64`, pointer);
  }
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) throw invalid(`${what} is not canonical base64`, pointer);
  return new Uint8Array(bytes);
}

/** Parses envelope bytes (JSON) into a {@link DsseEnvelope}; `EVIDENCE_INVALID` when malformed. */
export function parseEnvelope(bytes: Uint8Array | string): DsseEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === "string" ? bytes : new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    // The parser's message quotes the input, which is the evidence itself: say only what failed.
    throw invalid("the envelope is not valid UTF-8 JSON");
  }
  const env = value as Partial<DsseEnvelope> | null;
  if (
    env === null ||
    typeof env !== "object" ||
    typeof env.payloadType !== "string" ||
    typeof env.payload !== "string" ||
    !Array.isArray(env.signatures) ||
    env.signatures.length === 0
  ) {
    throw invalid("the envelope lacks payloadType, payload or signatures");
  }
  return env as DsseEnvelope;
}

/**
 * Verifies a DSSE envelope with an Ed25519 public key (node:crypto): payload type, strict base64,
 * and at least one signature over the PAE. A signature whose `keyid` equals the key's id is tried
 * first. Throws `EVIDENCE_INVALID` with a message naming what failed.
 */
export function verifyEnvelope(
  envelope: DsseEnvelope,
  publicKey: KeyPublic,
  payloadType: string = EVIDENCE_PAYLOAD_TYPE,
): VerifiedEnvelope {
  if (envelope.payloadType !== payloadType) {
    throw invalid(`payloadType is ${JSON.stringify(envelope.payloadType)}, expected ${payloadType}`, "/payloadType");
  }
  const payload = decodeBase64(envelope.payload, "payload", "/payload");
  const message = pae(payloadType, payload);
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey(publicKey.publicKeyPem);
  } catch (cause) {
    throw new SementeError("CONFIG_INVALID", "the verification key is not a valid public key PEM", { cause });
  }
  const ordered = [...envelope.signatures].sort(
    (a, b) => Number(b.keyid === publicKey.keyId) - Number(a.keyid === publicKey.keyId),
  );
  for (const [i, s] of ordered.entries()) {
    const sig = decodeBase64(s.sig, "signature", `/signatures/${i}/sig`);
    if (edVerify(null, message, key, sig)) {
      return { payload, payloadSha256: sha256Hex(payload), keyId: s.keyid };
    }
  }
  const ids = envelope.signatures.map((s) => s.keyid).join(", ");
  throw invalid(
    `signature verification failed: no signature (keyid ${ids}) verifies with key ${publicKey.keyId}; the report was altered or signed by another key`,
    "/signatures",
  );
}
