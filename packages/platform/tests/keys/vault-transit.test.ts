import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac, createPublicKey, verify } from "node:crypto";
import { isSementeError, type SementeError } from "@semente/core/errors";
import { assertKeyVersion, createVaultTransitKeyProvider } from "../../src/keys/index.ts";
import { startVaultServer, type VaultTestServer } from "./vault-server.ts";

const scope = { environment: "staging", tenant: "acme" };
let vault: VaultTestServer;

async function failure(p: Promise<unknown>): Promise<SementeError> {
  try {
    await p;
  } catch (e) {
    if (isSementeError(e)) return e;
    throw e;
  }
  throw new Error("expected a SementeError");
}

beforeAll(() => {
  vault = startVaultServer();
  vault.createKey("semente-fpe-staging-acme");
  vault.createKey("semente-evidence-staging", "ed25519");
});
afterAll(async () => {
  await vault.stop();
});

const provider = () => createVaultTransitKeyProvider({ endpoint: vault.url, token: vault.token });

describe("vault transit key provider", () => {
  test("keyVersion reads latest_version from GET /v1/transit/keys/<name>", async () => {
    const before = vault.requests.length;
    expect(await provider().keyVersion(scope)).toBe(1);
    expect(vault.requests.slice(before)).toEqual([
      { method: "GET", path: "/v1/transit/keys/semente-fpe-staging-acme", body: undefined },
    ]);
  });

  test("deriveFpeKey is the Transit HMAC-SHA256 of the versioned context, asked once per version", async () => {
    const p = provider();
    const before = vault.requests.length;
    const key = await p.deriveFpeKey(scope, 1);
    const again = await p.deriveFpeKey(scope, 1);
    const expected = createHmac("sha256", vault.hmacKey("semente-fpe-staging-acme", 1))
      .update("semente/fpe/v1/staging/acme")
      .digest();
    expect(Buffer.from(key).equals(expected)).toBe(true);
    expect(Buffer.from(again).equals(expected)).toBe(true);
    const hmacCalls = vault.requests.slice(before).filter((r) => r.path.includes("/hmac/"));
    expect(hmacCalls).toEqual([
      {
        method: "POST",
        path: "/v1/transit/hmac/semente-fpe-staging-acme/sha2-256",
        body: { input: Buffer.from("semente/fpe/v1/staging/acme").toString("base64"), key_version: 1 },
      },
    ]);
  });

  test("different tenants and key versions give different FPE keys", async () => {
    vault.createKey("semente-fpe-staging-other");
    vault.createKey("semente-fpe-staging-rotated");
    vault.rotate("semente-fpe-staging-rotated");
    const p = provider();
    const a = await p.deriveFpeKey(scope, 1);
    const b = await p.deriveFpeKey({ environment: "staging", tenant: "other" }, 1);
    const r1 = await p.deriveFpeKey({ environment: "staging", tenant: "rotated" }, 1);
    const r2 = await p.deriveFpeKey({ environment: "staging", tenant: "rotated" }, 2);
    expect(a.length).toBe(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(Buffer.from(r1).equals(Buffer.from(r2))).toBe(false);
    expect(await p.keyVersion({ environment: "staging", tenant: "rotated" })).toBe(2);
  });

  test("a version above latest or below the minimum is KEY_VERSION_MISMATCH", async () => {
    vault.createKey("semente-fpe-staging-minver");
    vault.rotate("semente-fpe-staging-minver");
    vault.rotate("semente-fpe-staging-minver");
    vault.configure("semente-fpe-staging-minver", { minDecryptionVersion: 2 });
    const s = { environment: "staging", tenant: "minver" };
    const tooNew = await failure(provider().deriveFpeKey(s, 4));
    expect(tooNew.code).toBe("KEY_VERSION_MISMATCH");
    const tooOld = await failure(provider().deriveFpeKey(s, 1));
    expect(tooOld.code).toBe("KEY_VERSION_MISMATCH");
    expect((await provider().deriveFpeKey(s, 2)).length).toBe(32);
  });

  test("assertKeyVersion fails closed when the manifest's version differs", async () => {
    expect(await assertKeyVersion(provider(), scope, 1)).toBe(1);
    const e = await failure(assertKeyVersion(provider(), scope, 2));
    expect(e.code).toBe("KEY_VERSION_MISMATCH");
    expect(e.extensions).toMatchObject({ expected: 2, actual: 1 });
  });

  test("sign returns a real Ed25519 signature that verifies with publicKey()", async () => {
    const p = provider();
    const payload = new TextEncoder().encode('{"report":"evidence"}');
    const { signature, keyId } = await p.sign(scope, payload);
    const pub = await p.publicKey(scope);
    expect(keyId).toBe("vault-transit:transit/semente-evidence-staging:v1");
    expect(pub.keyId).toBe(keyId);
    expect(pub.publicKeyPem).toStartWith("-----BEGIN PUBLIC KEY-----");
    expect(verify(null, payload, createPublicKey(pub.publicKeyPem), signature)).toBe(true);
    const last = vault.requests.findLast((r) => r.path.includes("/sign/"));
    expect(last).toEqual({
      method: "POST",
      path: "/v1/transit/sign/semente-evidence-staging",
      body: { input: Buffer.from(payload).toString("base64") },
    });
  });

  test("a wrong token gets Vault's 403 and never appears in the error", async () => {
    const secret = "hvs.this-token-must-not-leak";
    const p = createVaultTransitKeyProvider({ endpoint: vault.url, token: secret });
    const e = await failure(p.keyVersion(scope));
    expect(e.code).toBe("KEY_PROVIDER_UNAVAILABLE");
    expect(e.retryable).toBe(false);
    expect(e.message).toContain("403");
    expect(e.message).toContain("permission denied");
    expect(JSON.stringify({ ...e, message: e.message, cause: e.cause })).not.toContain(secret);
  });

  test("5xx is KEY_PROVIDER_UNAVAILABLE and retryable; a failed derivation is not cached", async () => {
    const p = provider();
    vault.failNext(503);
    const e = await failure(p.deriveFpeKey(scope, 1));
    expect(e.code).toBe("KEY_PROVIDER_UNAVAILABLE");
    expect(e.retryable).toBe(true);
    expect((await p.deriveFpeKey(scope, 1)).length).toBe(32);
  });

  test("a server that is down is KEY_PROVIDER_UNAVAILABLE, retryable, without the token", async () => {
    const down = startVaultServer();
    const url = down.url;
    await down.stop();
    const p = createVaultTransitKeyProvider({ endpoint: url, token: vault.token, timeoutMs: 1000 });
    const e = await failure(p.keyVersion(scope));
    expect(e.code).toBe("KEY_PROVIDER_UNAVAILABLE");
    expect(e.retryable).toBe(true);
    expect(e.message).not.toContain(vault.token);
    expect(e.cause).toBeUndefined();
  });

  test("a timeout is KEY_PROVIDER_UNAVAILABLE and retryable", async () => {
    vault.setDelay(300);
    try {
      const p = createVaultTransitKeyProvider({ endpoint: vault.url, token: vault.token, timeoutMs: 50 });
      const e = await failure(p.keyVersion(scope));
      expect(e.code).toBe("KEY_PROVIDER_UNAVAILABLE");
      expect(e.retryable).toBe(true);
    } finally {
      vault.setDelay(0);
    }
  });

  test("capabilities reports a transform mount only when sys/mounts lists one", async () => {
    expect(await provider().capabilities()).toEqual({ transform: false });
    vault.addMount("transform", "transform");
    expect(await provider().capabilities()).toEqual({ transform: true });
  });

  test("a custom mount and key naming are honoured", async () => {
    vault.createKey("fpe-dev-t9", "aes256-gcm96", "kv-transit");
    const p = createVaultTransitKeyProvider({
      endpoint: vault.url,
      token: vault.token,
      mount: "kv-transit",
      keyName: (s) => `fpe-${s.environment}-${s.tenant}`,
    });
    expect(await p.keyVersion({ environment: "dev", tenant: "t9" })).toBe(1);
    expect(vault.requests.at(-1)?.path).toBe("/v1/kv-transit/keys/fpe-dev-t9");
  });
});
