import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { S3Client } from "@aws-sdk/client-s3";
import { bootstrapDatabase, DbRole, MIGRATIONS_DIR, readMigrationFiles, setRolePasswords } from "../../src/db/index.ts";
import { bootstrapWormBucket } from "../../src/evidence/index.ts";
import {
  bootstrapVault,
  createVaultTransitKeyProvider,
  evidenceKeyName,
  fpeKeyName,
  transitPolicies,
} from "../../src/keys/index.ts";
import { startS3Server, type S3TestServer } from "../evidence/s3-server.ts";
import { adminUrl, createTestDatabase, type TestDatabase } from "../harness.ts";
import { startVaultServer, type VaultTestServer } from "../keys/vault-server.ts";

describe("semente bootstrap vault", () => {
  let vault: VaultTestServer;
  beforeAll(() => {
    vault = startVaultServer();
    vault.removeMount("transit");
  });
  afterAll(async () => {
    await vault.stop();
  });

  test("bootstrap vault - mount, keys and policies under the names the key provider uses; idempotent", async () => {
    const options = {
      addr: vault.url,
      token: vault.token,
      environment: "staging",
      tenants: ["banco-alfa", "banco-beta"],
    };
    const first = await bootstrapVault(options);
    expect(first.mountEnabled).toBe(true);
    expect(first.createdKeys).toEqual([
      "semente-fpe-staging-banco-alfa",
      "semente-fpe-staging-banco-beta",
      "semente-evidence-staging",
    ]);
    expect(vault.keyType(fpeKeyName({ environment: "staging", tenant: "banco-alfa" }))).toBe("aes256-gcm96");
    expect(vault.keyType(evidenceKeyName({ environment: "staging" }))).toBe("ed25519");
    expect([...vault.policies.keys()].sort()).toEqual([
      "semente-evidence-staging",
      "semente-planner-staging",
      "semente-seeder-staging",
      "semente-verifier-staging",
    ]);
    expect(vault.policies.get("semente-seeder-staging")).toContain('path "transit/hmac/semente-fpe-staging-*"');
    expect(vault.policies.get("semente-seeder-staging")).not.toContain("sign");
    expect(vault.policies.get("semente-verifier-staging")).not.toContain("/sign/");

    const again = await bootstrapVault(options);
    expect(again).toMatchObject({ mountEnabled: false, createdKeys: [] });
    expect(again.existingKeys).toHaveLength(3);

    // The services' own provider, with default key names, finds and uses what bootstrap made.
    const provider = createVaultTransitKeyProvider({ endpoint: vault.url, token: vault.token });
    const scope = { environment: "staging", tenant: "banco-alfa" };
    expect(await provider.keyVersion(scope)).toBe(1);
    expect((await provider.deriveFpeKey(scope, 1)).length).toBeGreaterThan(0);
    expect((await provider.sign(scope, new Uint8Array([1, 2, 3]))).signature).toBeDefined();
  });

  test("bootstrap vault - a sealed server, a bad token or no tenant fails and never echoes the token", async () => {
    vault.setSealed(true);
    const base = { addr: vault.url, token: vault.token, environment: "staging", tenants: ["banco-alfa"] };
    await expect(bootstrapVault({ ...base, waitMs: 50, pollMs: 10 })).rejects.toThrow("Vault is sealed");
    vault.setSealed(false);
    const wrong = "hvs.wrong-token-value";
    const error = await bootstrapVault({ ...base, token: wrong }).catch((e: Error) => e);
    expect(String((error as Error).message)).toContain("HTTP 403");
    expect(String((error as Error).message)).not.toContain(wrong);
    await expect(bootstrapVault({ ...base, tenants: [] })).rejects.toThrow("SEMENTE_TENANTS");
    await expect(bootstrapVault({ ...base, tenants: ["Bad Tenant"] })).rejects.toThrow("SEMENTE_TENANTS");
    await expect(bootstrapVault({ ...base, token: "" })).rejects.toThrow("VAULT_TOKEN");
    await expect(bootstrapVault({ ...base, addr: "http://127.0.0.1:1" })).rejects.toThrow("Vault is unreachable");
  });

  test("bootstrap vault - an existing key of the wrong type is refused", async () => {
    vault.createKey("semente-evidence-qa", "aes256-gcm96");
    await expect(
      bootstrapVault({ addr: vault.url, token: vault.token, environment: "qa", tenants: ["banco-alfa"] }),
    ).rejects.toThrow("semente-evidence-qa is aes256-gcm96, expected ed25519");
    expect(Object.keys(transitPolicies("qa", "kv-transit"))).toContain("semente-evidence-qa");
  });
});

describe("semente bootstrap s3", () => {
  let s3: S3TestServer;
  let client: S3Client;
  beforeAll(async () => {
    s3 = await startS3Server("existing-bucket");
    client = new S3Client({
      region: "us-east-1",
      endpoint: s3.url,
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
  });
  afterAll(async () => {
    await s3.stop();
  });

  test("bootstrap s3 - creates the bucket with Object Lock, sets COMPLIANCE retention and reads it back", async () => {
    const result = await bootstrapWormBucket({ bucket: "semente-evidence-new", retentionDays: 400, client });
    expect(result).toEqual({ created: true, retentionDays: 400 });
    const create = s3.requests.find((r) => r.method === "PUT" && /^\/semente-evidence-new\/?$/.test(r.path));
    expect(create?.headers["x-amz-bucket-object-lock-enabled"]).toBe("true");
    const lock = s3.lockConfigurations.get("/semente-evidence-new") ?? "";
    expect(lock).toContain("<Mode>COMPLIANCE</Mode>");
    expect(lock).toContain("<Days>400</Days>");
    const again = await bootstrapWormBucket({ bucket: "semente-evidence-new", retentionDays: 400, client });
    expect(again.created).toBe(false);
  });

  test("bootstrap s3 - a bucket without Object Lock, a short retention or an unreachable server is refused", async () => {
    s3.objectLock = false;
    await expect(bootstrapWormBucket({ bucket: "existing-bucket", retentionDays: 400, client })).rejects.toThrow(
      "has no Object Lock",
    );
    s3.objectLock = true;
    await expect(bootstrapWormBucket({ bucket: "existing-bucket", retentionDays: 30, client })).rejects.toThrow(
      "at least 365 days",
    );
    const down = new S3Client({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:1",
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
    });
    await expect(bootstrapWormBucket({ bucket: "b", retentionDays: 400, client: down })).rejects.toThrow(
      "S3 HeadBucket failed",
    );
  });
});

describe("semente bootstrap db", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("bootstrap", { migrate: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  test("bootstrap db - roles, database and every migration as the owner; a second run changes nothing", async () => {
    const options = { adminUrl: adminUrl(), migrationUrl: db.urls.owner, passwords: {}, migrationsDir: MIGRATIONS_DIR };
    const first = await bootstrapDatabase(options);
    expect(first.database).toBe(db.name);
    expect(first.created).toBe(false);
    expect(first.applied).toHaveLength(readMigrationFiles(MIGRATIONS_DIR).length);
    const second = await bootstrapDatabase(options);
    expect(second.applied).toEqual([]);
    expect(second.passwordsSet).toEqual([]);
  });

  test("bootstrap db - passwords are set as quoted literals (checked inside a rolled-back transaction)", async () => {
    const hostile = "pw-with-'quote'; DROP ROLE semente_app; --";
    const rolledBack = db.adminSql.begin(async (tx) => {
      const set = await setRolePasswords(tx, { [DbRole.APP]: hostile, [DbRole.SEEDER]: "" });
      expect(set).toEqual([DbRole.APP]);
      const [row] = await tx<{ ok: boolean }[]>`
        SELECT rolpassword IS NOT NULL AS ok FROM pg_authid WHERE rolname = ${DbRole.APP}`;
      expect(row?.ok).toBe(true);
      throw new Error("roll back: the shared cluster's roles stay as they were");
    });
    await expect(rolledBack).rejects.toThrow("roll back");
    const [role] = await db.adminSql`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = ${DbRole.APP}`;
    expect(role?.n).toBe(1);
    await expect(setRolePasswords(db.adminSql, { [DbRole.OWNER]: "short" })).rejects.toThrow("at least 16");
  });
});
