-- semente:no-transaction
-- Exactly one report per run (R7): the evidence service relies on this to stay idempotent under
-- redelivery and concurrent replicas. CONCURRENTLY because the index may already hold rows.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS evidence_index_run_uidx ON seed.evidence_index (run_id);
