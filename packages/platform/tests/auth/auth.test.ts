import { describe, expect, test } from "bun:test";
import { generateKeyPair, exportSPKI, SignJWT } from "jose";
import {
  assertAllowed,
  canSee,
  createTokenVerifier,
  isIsolatedDev,
  mintToken,
  resolveAuthKeys,
} from "../../src/auth/index.ts";
import type { AuthKeys, Principal } from "../../src/auth/index.ts";
import type { SementeError } from "@semente/core/errors";

const KEYS: AuthKeys = {
  secret: new TextEncoder().encode("unit-secret-unit-secret-unit-secret-01"),
  issuer: "semente",
  audience: "semente-gateway",
};
const NOW = Math.floor(Date.now() / 1000);

const principal = (p: Partial<Principal>): Principal => ({
  subject: "s",
  roles: ["seed-runner"],
  tenants: ["acme"],
  environments: ["dev"],
  expiresAt: NOW + 60,
  ...p,
});

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as SementeError).code;
  }
}

describe("auth", () => {
  test("auth - a minted HS256 token verifies into a principal", async () => {
    const jwt = await mintToken(KEYS, {
      subject: "ana",
      roles: ["read"],
      tenants: ["acme"],
      environments: ["dev"],
      ttlSeconds: 60,
      issuedAt: NOW,
    });
    const p = await (await createTokenVerifier(KEYS))(jwt);
    expect(p).toEqual({
      subject: "ana",
      roles: ["read"],
      tenants: ["acme"],
      environments: ["dev"],
      expiresAt: NOW + 60,
    });
  });

  test("auth - unknown roles, missing claims and expired tokens are UNAUTHENTICATED", async () => {
    const verify = await createTokenVerifier(KEYS);
    const sign = (claims: Record<string, unknown>, exp = NOW + 60) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("x")
        .setIssuer("semente")
        .setAudience("semente-gateway")
        .setExpirationTime(exp)
        .sign(KEYS.secret!);
    for (const jwt of [
      await sign({ roles: ["root"], tenants: ["a"], environments: ["dev"] }),
      await sign({ roles: ["read"], environments: ["dev"] }),
      await sign({ roles: ["read"], tenants: ["a"], environments: ["dev"] }, NOW - 10),
      "not.a.jwt",
    ]) {
      expect(verify(jwt)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    }
  });

  test("auth - EdDSA public keys verify EdDSA tokens only", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const keys: AuthKeys = {
      publicKeyPem: await exportSPKI(publicKey),
      issuer: "semente",
      audience: "semente-gateway",
    };
    const jwt = await new SignJWT({ roles: ["admin"], tenants: ["*"], environments: ["*"] })
      .setProtectedHeader({ alg: "EdDSA" })
      .setSubject("ops")
      .setIssuer("semente")
      .setAudience("semente-gateway")
      .setExpirationTime(NOW + 60)
      .sign(privateKey);
    expect((await (await createTokenVerifier(keys))(jwt)).subject).toBe("ops");
    const hs = await mintToken(KEYS, {
      subject: "x",
      roles: ["admin"],
      tenants: ["*"],
      environments: ["*"],
      ttlSeconds: 60,
      issuedAt: NOW,
    });
    expect((await createTokenVerifier(keys))(hs)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  test("auth - RBAC: read only reads, seed-runner runs, admin everything", () => {
    expect(
      code(() => assertAllowed(principal({ roles: ["read"] }), "read", { tenant: "acme", environment: "dev" })),
    ).toBeUndefined();
    expect(
      code(() => assertAllowed(principal({ roles: ["read"] }), "create", { tenant: "acme", environment: "dev" })),
    ).toBe("FORBIDDEN");
    for (const action of ["validate", "create", "cancel", "read"] as const) {
      expect(code(() => assertAllowed(principal({}), action, { tenant: "acme", environment: "dev" }))).toBeUndefined();
    }
    expect(
      code(() =>
        assertAllowed(principal({ roles: ["admin"], tenants: ["*"], environments: ["*"] }), "cancel", {
          tenant: "x",
          environment: "prod",
        }),
      ),
    ).toBeUndefined();
  });

  test("auth - ABAC: tenants and environments outside the token are FORBIDDEN", () => {
    expect(code(() => assertAllowed(principal({}), "create", { tenant: "other", environment: "dev" }))).toBe(
      "FORBIDDEN",
    );
    expect(code(() => assertAllowed(principal({}), "create", { tenant: "acme", environment: "prod" }))).toBe(
      "FORBIDDEN",
    );
    expect(code(() => assertAllowed(principal({ roles: ["admin"] }), "read", { tenant: "other" }))).toBe("FORBIDDEN");
    expect(canSee(principal({ tenants: ["*"] }), "any", "dev")).toBe(true);
    expect(canSee(principal({}), "acme", "staging")).toBe(false);
  });

  test("auth - keys: explicit secret wins, short secrets and missing keys outside isolated dev fail closed", () => {
    expect(resolveAuthKeys({ env: { GATEWAY_JWT_SECRET: "x".repeat(32), CI: "true" } }).secret?.byteLength).toBe(32);
    expect(code(() => resolveAuthKeys({ env: { GATEWAY_JWT_SECRET: "short" } }))).toBe("CONFIG_INVALID");
    expect(code(() => resolveAuthKeys({ env: { CI: "true" } }))).toBe("DEV_KEY_FORBIDDEN");
    expect(code(() => resolveAuthKeys({ env: { SEMENTE_ENV: "staging" } }))).toBe("DEV_KEY_FORBIDDEN");
    expect(isIsolatedDev({})).toBe(true);
    expect(isIsolatedDev({ CI: "1" })).toBe(false);
  });
});
