-- Checkpoint retention (R6.1, issue 11): a checkpoint is kept at most 30 days. The control plane
-- cannot delete checkpoints (nor see other tenants'); seed.prune_checkpoints, run by the planner's
-- clean-up job, deletes those committed more than 30 days ago (by the database clock, not the
-- caller's), tenant by tenant under the owner's tenant policy, and never those of a run still
-- planning or running. Returns what it deleted per tenant × environment × mode.

CREATE FUNCTION seed.prune_checkpoints()
RETURNS TABLE (tenant_id text, environment text, mode text, deleted bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_previous text := current_setting('app.tenant_id', true);
  v_tenant text;
BEGIN
  FOR v_tenant IN SELECT DISTINCT r.tenant_id FROM seed.runs r ORDER BY 1 LOOP
    PERFORM set_config('app.tenant_id', v_tenant, true);
    RETURN QUERY
      WITH gone AS (
        DELETE FROM seed.checkpoints c
         WHERE c.committed_at < now() - interval '30 days'
           AND NOT EXISTS (SELECT 1 FROM seed.runs r WHERE r.id = c.run_id AND r.state IN ('planning', 'running'))
        RETURNING c.tenant_id, c.environment, c.mode)
      SELECT g.tenant_id, g.environment, g.mode, count(*) FROM gone g GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
  END LOOP;
  PERFORM set_config('app.tenant_id', coalesce(v_previous, ''), true);
END
$$;
REVOKE ALL ON FUNCTION seed.prune_checkpoints() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.prune_checkpoints() TO semente_app;
