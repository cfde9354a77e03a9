import { afterAll, describe, expect, test } from "bun:test";
import { createHmac, createPublicKey, verify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isSementeError } from "@semente/core/errors";
import { createLocalDevKeyProvider, ensureDevKey } from "../../src/keys/index.ts";

const dir = mkdtempSync(join(tmpdir(), "semente-devkey-"));
const DEV_KEY = "11".repeat(32);
const envLocalPath = join(dir, ".env.local");
writeFileSync(envLocalPath, `# local only\nSEMENTE_DEV_KEY=${DEV_KEY}\n`);
const scope = { environment: "dev", tenant: "acme" };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isSementeError(e)) return e.code;
    throw e;
  }
  return "no error";
}

describe("local dev key provider", () => {
  test("refuses outside dev, without the isolated flag, and in CI", () => {
    const env = {};
    for (const environment of ["homolog", "staging", "perf", "prod"]) {
      expect(refusal(() => createLocalDevKeyProvider({ environment, isolatedDev: true, envLocalPath, env }))).toBe(
        "DEV_KEY_FORBIDDEN",
      );
    }
    expect(
      refusal(() => createLocalDevKeyProvider({ environment: "dev", isolatedDev: false, envLocalPath, env })),
    ).toBe("DEV_KEY_FORBIDDEN");
    for (const ci of ["true", "1", "yes"]) {
      expect(
        refusal(() =>
          createLocalDevKeyProvider({ environment: "dev", isolatedDev: true, envLocalPath, env: { CI: ci } }),
        ),
      ).toBe("DEV_KEY_FORBIDDEN");
    }
  });

  test("is allowed in isolated dev with CI unset or false", () => {
    for (const env of [{}, { CI: "false" }, { CI: "" }]) {
      expect(createLocalDevKeyProvider({ environment: "dev", isolatedDev: true, envLocalPath, env }).kind).toBe(
        "local-dev",
      );
    }
  });

  test("a missing file or malformed key is CONFIG_INVALID and does not echo the key", () => {
    const missing = join(dir, "absent.env");
    expect(
      refusal(() =>
        createLocalDevKeyProvider({ environment: "dev", isolatedDev: true, envLocalPath: missing, env: {} }),
      ),
    ).toBe("CONFIG_INVALID");
    const bad = join(dir, "bad.env");
    writeFileSync(bad, "SEMENTE_DEV_KEY=not-hex-secret\n");
    try {
      createLocalDevKeyProvider({ environment: "dev", isolatedDev: true, envLocalPath: bad, env: {} });
      throw new Error("expected a refusal");
    } catch (e) {
      expect(isSementeError(e) && e.code).toBe("CONFIG_INVALID");
      expect((e as Error).message).not.toContain("not-hex-secret");
    }
  });

  test("FPE key is HMAC-SHA256(devKey, context/v<version>) and versions are checked", async () => {
    const p = createLocalDevKeyProvider({
      environment: "dev",
      isolatedDev: true,
      envLocalPath,
      env: { SEMENTE_DEV_KEY_VERSION: "2" },
    });
    expect(await p.keyVersion(scope)).toBe(2);
    const k2 = await p.deriveFpeKey(scope, 2);
    const expected = createHmac("sha256", Buffer.from(DEV_KEY, "hex")).update("semente/fpe/v1/dev/acme/v2").digest();
    expect(Buffer.from(k2).equals(expected)).toBe(true);
    const k1 = await p.deriveFpeKey(scope, 1);
    expect(Buffer.from(k1).equals(expected)).toBe(false);
    const other = await p.deriveFpeKey({ environment: "dev", tenant: "other" }, 2);
    expect(Buffer.from(other).equals(expected)).toBe(false);
    try {
      await p.deriveFpeKey(scope, 3);
      throw new Error("expected a mismatch");
    } catch (e) {
      expect(isSementeError(e) && e.code).toBe("KEY_VERSION_MISMATCH");
    }
  });

  test("the version defaults to 1", async () => {
    const p = createLocalDevKeyProvider({ environment: "dev", isolatedDev: true, envLocalPath, env: {} });
    expect(await p.keyVersion(scope)).toBe(1);
  });

  test("signs with a deterministic Ed25519 key derived from the dev key", async () => {
    const p = createLocalDevKeyProvider({ environment: "dev", isolatedDev: true, envLocalPath, env: {} });
    const q = createLocalDevKeyProvider({ environment: "dev", isolatedDev: true, envLocalPath, env: {} });
    const payload = new TextEncoder().encode("report");
    const { signature, keyId } = await p.sign(scope, payload);
    const pub = await q.publicKey(scope);
    expect(pub.keyId).toBe(keyId);
    expect(keyId).toMatch(/^local-dev:[0-9a-f]{16}$/);
    expect(verify(null, payload, createPublicKey(pub.publicKeyPem), signature)).toBe(true);
    expect(Buffer.from((await q.sign(scope, payload)).signature).equals(Buffer.from(signature))).toBe(true);
  });

  test("ensureDevKey creates a 0600 .env.local once, and keeps an existing key", () => {
    const path = join(dir, "fresh.env.local");
    expect(ensureDevKey(path)).toEqual({ created: true });
    const first = readFileSync(path, "utf8");
    expect(first).toMatch(/^SEMENTE_DEV_KEY=[0-9a-f]{64}\nSEMENTE_DEV_KEY_VERSION=1\n$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(ensureDevKey(path)).toEqual({ created: false });
    expect(readFileSync(path, "utf8")).toBe(first);
    const p = createLocalDevKeyProvider({ environment: "dev", isolatedDev: true, envLocalPath: path, env: {} });
    expect(p.kind).toBe("local-dev");
  });
});
