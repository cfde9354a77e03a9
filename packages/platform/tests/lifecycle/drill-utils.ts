import type { Sql } from "../../src/db/index.ts";
import { createGenerationContext, type GenerationContext } from "@semente/core/factories";
import type { KeyProvider } from "../../src/keys/index.ts";
import { type Manifest, manifestHash } from "@semente/core/manifest";
import { createBatchWriter } from "../../src/pipeline/index.ts";
import { profile, smallManifest } from "../../../core/tests/factories/utils.ts";
import type { TestDatabase } from "../harness.ts";
import { batchMessages, insertRun } from "../pipeline/writer-fixtures.ts";

/** The canonical DR profile (staging/banco-beta) with small counts, open all day. */
export function drManifest(overrides: Partial<Manifest> = {}): Manifest {
  return smallManifest(profile("staging", "banco-beta"), {
    batch_size: 40,
    window: { start_utc: "00:00", end_utc: "23:59" },
    ...overrides,
  });
}

/** A `running` dr_drill run of `manifest`, inserted as the owner. */
export async function drillRun(db: TestDatabase, manifest: Manifest): Promise<string> {
  const id = await insertRun(db.ownerSql, manifest);
  await db.adminSql`update seed.runs set operation = 'dr_drill' where id = ${id}`;
  return id;
}

/** Writes every batch of `manifest` for `runId` through the seeder's batch writer (checkpoints included). */
export async function writeAll(db: TestDatabase, runId: string, manifest: Manifest, keys: KeyProvider): Promise<void> {
  const writer = createBatchWriter({ sql: db.seederSql, keys });
  for (const msg of batchMessages(runId, manifest)) {
    const result = await writer.write(msg, { attempt: 1 });
    if (result.outcome !== "committed") throw new Error(`batch ${msg.entity}/${msg.batchIndex}: ${result.outcome}`);
  }
}

/** The generation context of `manifest` with the provider's key material (as the planner builds it). */
export async function providerContext(manifest: Manifest, keys: KeyProvider): Promise<GenerationContext> {
  const scope = { environment: manifest.metadata.environment, tenant: manifest.metadata.tenant };
  const fpeKey = await keys.deriveFpeKey(scope, manifest.key_version);
  return createGenerationContext({
    manifest,
    manifestHash: manifestHash(manifest),
    fpeKey,
    keyVersion: manifest.key_version,
  });
}

/**
 * Installs, as the superuser, a trigger that adds 1 to the principal of the tenant's first loan
 * (by id) whenever it is inserted again — data corrupted on its way back, a real fault for the
 * drill's verification to find. Returns the function that removes it.
 */
export async function corruptRestoredLoan(admin: Sql, tenant: string): Promise<() => Promise<void>> {
  const [loan] = await admin<
    { id: string }[]
  >`select id from banking.loans where tenant_id = ${tenant} order by id limit 1`;
  if (loan === undefined) throw new Error(`${tenant} holds no loan to corrupt`);
  await admin.unsafe(`
    create function public.corrupt_restore() returns trigger language plpgsql as $$
    begin new.principal := new.principal + 1; return new; end $$;
    create trigger corrupt_restore before insert on banking.loans
      for each row when (new.id = '${loan.id}') execute function public.corrupt_restore();`);
  return async () => {
    await admin.unsafe("drop trigger corrupt_restore on banking.loans; drop function public.corrupt_restore();");
  };
}
