import type { Sql } from "../../src/db/index.ts";
import { createVaultTransitKeyProvider, type KeyProvider } from "../../src/keys/index.ts";
import { ENTITIES, type Manifest, manifestHash } from "@semente/core/manifest";
import { type BatchMessage, planBatches } from "@semente/core/pipeline";
import { profile, smallManifest } from "../../../core/tests/factories/utils.ts";
import { startVaultServer, type VaultTestServer } from "../keys/vault-server.ts";

/** A small dev manifest of `tenant` (every entity present) with a batch size that splits entities. */
export function writerManifest(tenant = "banco-alfa", overrides: Partial<Manifest> = {}): Manifest {
  return smallManifest(profile("dev", tenant), { batch_size: 25, ...overrides });
}

/** A Vault-speaking test server holding the FPE keys of `tenants` in `environment`, and a provider on it. */
export function startTestVault(
  tenants: readonly string[],
  environment = "dev",
): { vault: VaultTestServer; keys: KeyProvider } {
  const vault = startVaultServer();
  for (const tenant of tenants) vault.createKey(`semente-fpe-${environment}-${tenant}`);
  return { vault, keys: createVaultTransitKeyProvider({ endpoint: vault.url, token: vault.token }) };
}

/** Options of {@link insertRun}. */
export interface InsertRunOptions {
  dryRun?: boolean;
  state?: string;
  keyVersion?: number;
}

/** Inserts a run of `manifest` straight into seed.runs (as the owner) and returns its id. */
export async function insertRun(owner: Sql, manifest: Manifest, options: InsertRunOptions = {}): Promise<string> {
  const id = crypto.randomUUID();
  await owner`
    INSERT INTO seed.runs (id, environment, tenant_id, mode, dry_run, state, manifest_hash, manifest_version, manifest,
      reference_datetime, key_version, principal, started_at)
    VALUES (${id}, ${manifest.metadata.environment}, ${manifest.metadata.tenant}, ${manifest.mode},
      ${options.dryRun ?? false}, ${options.state ?? "running"}, ${manifestHash(manifest).slice(7)},
      ${manifest.metadata.version}, ${owner.json(manifest as never)}, ${manifest.reference_datetime},
      ${options.keyVersion ?? manifest.key_version}, 'test', now())`;
  return id;
}

/**
 * The batch messages of a run as the planner would publish them, in plan order (`planBatches`), so
 * that writing them one by one never runs ahead of a parent table.
 */
export function batchMessages(runId: string, manifest: Manifest, options: { dryRun?: boolean } = {}): BatchMessage[] {
  return planBatches(manifest).batches.map((b) => ({
    v: 1,
    runId,
    environment: manifest.metadata.environment,
    tenant: manifest.metadata.tenant,
    mode: manifest.mode,
    dryRun: options.dryRun ?? false,
    manifestHash: manifestHash(manifest),
    keyVersion: manifest.key_version,
    entity: b.entity,
    batchIndex: b.batchIndex,
    level: b.level,
    planIndex: b.planIndex,
    from: b.from,
    to: b.to,
  }));
}

/** Row counts of every banking table for `tenant` (read as the superuser, so RLS cannot hide rows). */
export async function bankingCounts(admin: Sql, tenant: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const entity of ENTITIES) {
    const [row] = await admin.unsafe<{ n: string }[]>(
      `SELECT count(*)::text AS n FROM banking.${entity} WHERE tenant_id = $1`,
      [tenant],
    );
    out[entity] = Number(row?.n ?? 0);
  }
  return out;
}

/** Number of checkpoint rows of a run (superuser read). */
export async function checkpointCount(admin: Sql, runId: string): Promise<number> {
  const [row] = await admin<{ n: string }[]>`SELECT count(*)::text AS n FROM seed.checkpoints WHERE run_id = ${runId}`;
  return Number(row?.n ?? 0);
}
