-- Batch duration as measured by the seeder (transaction start to commit), for the SLO p95/p99 of
-- the evidence report. Nullable: a checkpoint without it makes the SLO item `not_applicable`.
-- IF NOT EXISTS: the pipeline may add the same column in its own range first.
ALTER TABLE seed.checkpoints ADD COLUMN IF NOT EXISTS duration_ms integer CHECK (duration_ms >= 0);
