import type { Sql } from "../../src/db/index.ts";

/** Plans `batches` batches of `rows` rows for each entity, in FK level order (seed.batches rows, pending). */
export async function planFixture(
  sql: Sql,
  runId: string,
  entities: { entity: string; batches: number; rows: number }[],
): Promise<void> {
  for (const [level, e] of entities.entries()) {
    for (let i = 0; i < e.batches; i++) {
      await sql`
        insert into seed.batches (run_id, entity, batch_index, level, from_ordinal, to_ordinal, state)
        values (${runId}, ${e.entity}, ${i}, ${level}, ${i * e.rows}, ${(i + 1) * e.rows}, 'pending')`;
    }
  }
}

/** Marks a batch committed with its planned row count, as the planner folds a checkpoint. */
export async function commitFixture(sql: Sql, runId: string, entity: string, batchIndex: number): Promise<void> {
  await sql`
    update seed.batches set state = 'committed', row_count = to_ordinal - from_ordinal, digest = ${"cd".repeat(32)},
           committed_at = now(), updated_at = now()
     where run_id = ${runId} and entity = ${entity} and batch_index = ${batchIndex}`;
}

/** Marks a batch dead-lettered with a last error. */
export async function deadLetterFixture(sql: Sql, runId: string, entity: string, batchIndex: number): Promise<void> {
  await sql`
    update seed.batches set state = 'dead_lettered', attempts = 5,
           last_error = ${sql.json({ code: "CONTRACT_VIOLATION", detail: "fixture" })}, updated_at = now()
     where run_id = ${runId} and entity = ${entity} and batch_index = ${batchIndex}`;
}

/** Indexes a signed evidence envelope for the run (what the evidence service writes). */
export async function evidenceFixture(sql: Sql, runId: string): Promise<{ sha256: string; location: string }> {
  const sha256 = "ab".repeat(32);
  const location = `evidence/${runId}.dsse.json`;
  const envelope = {
    payloadType: "application/vnd.semente.evidence+json",
    payload: Buffer.from(`{"run_id":"${runId}"}`).toString("base64"),
    signatures: [{ keyid: "dev:ed25519", sig: "c2ln" }],
  };
  await sql`
    insert into seed.evidence_index (run_id, location, sha256, size_bytes, signature, signature_alg, signature_key_id,
      storage, environment, tenant_id, retain_until, envelope)
    select id, ${location}, ${sha256}, 100, 'c2ln', 'ed25519', 'dev:ed25519', 'filesystem',
      environment, tenant_id, now() + interval '400 days', ${sql.json(envelope)}
    from seed.runs where id = ${runId}`;
  return { sha256, location };
}
