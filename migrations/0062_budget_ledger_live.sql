-- semente:no-transaction
-- FinOps live (issue 12 item 4): the planner accrues the measured cost of every committed batch
-- into seed.budget_ledger. One measurement row per batch, one estimate, alert and abort row per
-- run, so a planner that re-accrues after a restart never counts twice.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS budget_ledger_measurement_idx ON seed.budget_ledger (run_id, (details ->> 'batch'))
  WHERE kind = 'measurement';
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS budget_ledger_once_idx ON seed.budget_ledger (run_id, kind)
  WHERE kind IN ('estimate', 'alert', 'abort');
