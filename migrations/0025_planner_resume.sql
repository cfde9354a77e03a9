-- Planner: resume and drift checks look checkpoints up by tenant × environment × manifest hash
-- (a re-submitted manifest skips the batches an earlier run of the same manifest committed).
CREATE INDEX checkpoints_manifest_idx
  ON seed.checkpoints (tenant_id, environment, manifest_hash, entity, batch_index);

-- A batch satisfied by an earlier run's checkpoint (resume) names that run; NULL when this run
-- committed it itself. Evidence and `semente runs` show where each digest came from.
ALTER TABLE seed.batches ADD COLUMN reused_from_run uuid;

-- When the planner last (re)published the batch, to republish only what it knows is in flight.
ALTER TABLE seed.batches ADD COLUMN published_at timestamptz;
