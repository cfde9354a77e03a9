import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { startVaultServer, type VaultTestServer } from "../../../platform/tests/keys/vault-server.ts";
import { runCli } from "../utils.ts";

const ROOT = resolve(import.meta.dir, "../../../..");

const semente = (args: string[], env: Record<string, string>) =>
  runCli(join(ROOT, "packages/cli/src/main.ts"), args, env, ROOT);

let vault: VaultTestServer;
beforeAll(() => {
  vault = startVaultServer();
});
afterAll(async () => {
  await vault.stop();
});

describe("semente bootstrap (CLI)", () => {
  test("bootstrap cli - `bootstrap vault` creates the tenant and evidence keys, then finds them", async () => {
    const env = { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.token, SEMENTE_TENANTS: "banco-alfa" };
    const first = await semente(["bootstrap", "vault", "--env", "staging"], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("key semente-fpe-staging-banco-alfa created");
    expect(first.stdout).toContain("key semente-evidence-staging created");
    const second = await semente(["bootstrap", "vault", "--env", "staging"], env);
    expect(second.stdout).toContain("key semente-evidence-staging exists");
    expect(second.stdout + second.stderr).not.toContain(vault.token);
  });

  test("bootstrap cli - no verb is a usage error; s3 without a bucket names the variable", async () => {
    expect((await semente(["bootstrap"], {})).code).toBe(2);
    const s3 = await semente(["bootstrap", "s3"], {});
    expect(s3.code).toBe(2);
    expect(s3.stderr).toContain("EVIDENCE_S3_BUCKET");
  });
});
