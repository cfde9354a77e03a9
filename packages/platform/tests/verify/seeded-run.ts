import { MIGRATIONS_DIR, recordRlsChecks, runPreflight } from "../../src/db/index.ts";
import type { KeyProvider } from "../../src/keys/index.ts";
import type { Manifest } from "@semente/core/manifest";
import { createBatchWriter } from "../../src/pipeline/index.ts";
import { createRunProgress, planBatches } from "@semente/core/pipeline";
import type { TestDatabase } from "../harness.ts";
import { batchMessages, insertRun } from "../pipeline/writer-fixtures.ts";

/**
 * Seeds `manifest` for real — every batch through the seeder's batch writer (contract validation,
 * checkpoints, banking rows under RLS) — then ends the run as the planner does: the dataset digest
 * from its progress over the committed checkpoints, a `preflight.pass` audit row carrying the
 * checks and the RLS record of the seeder role. Returns the run id and its recorded digest.
 */
export async function seedCompletedRun(
  db: TestDatabase,
  manifest: Manifest,
  keys: KeyProvider,
): Promise<{ runId: string; digest: string }> {
  const runId = await insertRun(db.ownerSql, manifest);
  const writer = createBatchWriter({ sql: db.seederSql, keys });
  const progress = createRunProgress(planBatches(manifest));
  for (const msg of batchMessages(runId, manifest)) {
    const result = await writer.write(msg, { attempt: 1 });
    if (result.outcome !== "committed") throw new Error(`batch ${msg.entity}/${msg.batchIndex}: ${result.outcome}`);
    progress.commit(msg.entity, msg.batchIndex, result.checkpoint.digest, result.checkpoint.rows);
  }
  const digest = progress.datasetDigest();
  const preflight = await runPreflight(db.seederSql, { migrationsDir: MIGRATIONS_DIR });
  const rls = await recordRlsChecks(db.seederSql);
  await db.adminSql`
    insert into seed.audit_log (actor, action, outcome, tenant_id, environment, run_id, details)
    values ('planner', 'preflight.pass', 'success', ${manifest.metadata.tenant}, ${manifest.metadata.environment},
      ${runId}, ${db.adminSql.json({ role: preflight.role, checks: preflight.checks, rls } as never)})`;
  await db.adminSql`
    update seed.runs set state = 'completed', dataset_digest = ${digest.slice("sha256:".length)},
      rows_planned = ${progress.rowsWritten()}, rows_written = ${progress.rowsWritten()},
      started_at = now() - interval '2 seconds', finished_at = now()
     where id = ${runId}`;
  return { runId, digest };
}
