-- Runtime governance (issue 12) on the least-privilege roles of issue 10:
-- * the planner (semente_app) accrues measured cost, alerts and aborts into seed.budget_ledger:
--   append-only, so INSERT and SELECT only;
-- * a run whose admission failed before it was queued (broker down) is withdrawn so that no
--   half-created run stays behind. The control plane holds no DELETE on seed.runs: the withdrawal
--   is a SECURITY DEFINER function that can delete only a `queued` run without a queue entry.
GRANT SELECT, INSERT ON seed.budget_ledger TO semente_app;
GRANT USAGE ON SEQUENCE seed.budget_ledger_id_seq TO semente_app;

CREATE FUNCTION seed.withdraw_run(p_run_id uuid) RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, seed
AS $$
  WITH deleted AS (
    DELETE FROM seed.runs r
     WHERE r.id = p_run_id AND r.state = 'queued'
       AND NOT EXISTS (SELECT 1 FROM seed.queue_entries q WHERE q.run_id = r.id)
    RETURNING r.id
  )
  SELECT EXISTS (SELECT 1 FROM deleted);
$$;
REVOKE ALL ON FUNCTION seed.withdraw_run(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.withdraw_run(uuid) TO semente_app;
