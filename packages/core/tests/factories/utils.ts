import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createGenerationContext, type GenerationContext } from "../../src/factories/index.ts";
import { type Manifest, manifestHash, parseManifest, type VolumetryEntity } from "../../src/manifest/index.ts";

const REPO_ROOT = join(import.meta.dir, "../../../..");

/** A canonical profile parsed from `configs/seed_profiles/<env>/<tenant>.yaml`. */
export function profile(environment: string, tenant: string): Manifest {
  const path = join(REPO_ROOT, "configs/seed_profiles", environment, `${tenant}.yaml`);
  return parseManifest(readFileSync(path, "utf8")).manifest;
}

/** Row counts of a small dataset (every entity present, several loans per customer pattern). */
export const SMALL_COUNTS: Record<VolumetryEntity, number> = {
  users: 12,
  consultants: 6,
  account_categories: 10,
  suppliers: 15,
  customers: 60,
  addresses: 90,
  bank_accounts: 80,
  loans: 40,
  financial_transactions: 400,
  credit_limits: 100,
  contracts: 50,
};

/**
 * A copy of a profile with small counts (caps raised to match) and optional overrides. It is not
 * re-validated against the Q11 caps: the factories only need a well-formed manifest.
 */
export function smallManifest(base: Manifest, overrides: Partial<Manifest> = {}, term = 12): Manifest {
  const volumetry = structuredClone(base.volumetry);
  for (const [entity, count] of Object.entries(SMALL_COUNTS) as [VolumetryEntity, number][]) {
    volumetry[entity].count = count;
    volumetry[entity].cap = Math.max(count, 1);
  }
  volumetry.loans.term_months = term;
  return { ...structuredClone(base), volumetry, ...overrides };
}

/** Deterministic 32-byte test key of (tenant, version); real runs derive it from the key provider. */
export function testKey(tenant: string, version: number): Uint8Array {
  return new Uint8Array(createHash("sha256").update(`semente-test-fpe/${tenant}/${version}`).digest());
}

/** A generation context for `manifest` with the test key of its tenant and key version. */
export function contextFor(manifest: Manifest, key?: Uint8Array): GenerationContext {
  return createGenerationContext({
    manifest,
    manifestHash: manifestHash(manifest),
    fpeKey: key ?? testKey(manifest.metadata.tenant, manifest.key_version),
    keyVersion: manifest.key_version,
  });
}
