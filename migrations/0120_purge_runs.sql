-- Purge and reseed as governed runs (issue 11).
--
-- A purge run has no manifest: its `manifest` column holds the purge request (tenant, environment,
-- mode) and `manifest_hash` that request's canonical hash; `reference_datetime` and `key_version`
-- are those of the data it removes (packages/platform/src/lifecycle/submit.ts).
--
-- The purge phase of a run (a purge, or the first phase of a reseed) ends when the seeder calls
-- seed.complete_purge in a transaction bound to that run's purge: it checks, as the owner under
-- the run's tenant, that no banking row and no checkpoint of the run's environment and mode is
-- left, then records `purged_at` and the rows deleted (the sum of seed.purge_progress). From then
-- on the run's purge binding deletes nothing: seed.purge_bound_tenant() verifies the run named in
-- the binding is still running with its purge phase open, so a seeder that redelivered the purge
-- while the reseed's seed phase writes cannot remove a row of it.

ALTER TABLE seed.runs ADD COLUMN purged_at timestamptz;
ALTER TABLE seed.runs ADD COLUMN rows_deleted bigint;

-- The binding names the run: `<tenant>:<run>:<mac over purge/<tenant>/<run>>`.
CREATE OR REPLACE FUNCTION seed.bind_purge_tenant(p_run_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_tenant text;
  v_purged timestamptz;
BEGIN
  SELECT r.tenant_id, r.purged_at INTO v_tenant, v_purged FROM seed.runs r
   WHERE r.id = p_run_id AND r.state = 'running' AND r.operation IN ('purge', 'reseed') AND NOT r.dry_run;
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION 'run % is not a running purge: no purge context', p_run_id USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF v_purged IS NOT NULL THEN
    RAISE EXCEPTION 'the purge phase of run % is complete: no purge context', p_run_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM seed.bind_run_tenant(p_run_id);
  PERFORM set_config('app.purge_binding',
    v_tenant || ':' || p_run_id::text || ':' || seed.binding_mac('purge/' || v_tenant || '/' || p_run_id::text), true);
  RETURN v_tenant;
END
$$;

-- The tenant of the current transaction's purge binding while its run's purge phase is open, or
-- NULL (forged, copied, replayed, or the phase is over). Read once per statement (the policies'
-- InitPlan), with the statement's snapshot.
CREATE OR REPLACE FUNCTION seed.purge_bound_tenant()
RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_binding text := current_setting('app.purge_binding', true);
  v_tenant text;
  v_run text;
BEGIN
  IF v_binding IS NULL OR v_binding !~ '^[a-z0-9-]+:[0-9a-f-]{36}:[0-9a-f]{64}$' THEN
    RETURN NULL;
  END IF;
  v_tenant := split_part(v_binding, ':', 1);
  v_run := split_part(v_binding, ':', 2);
  IF split_part(v_binding, ':', 3) <> seed.binding_mac('purge/' || v_tenant || '/' || v_run) THEN
    RETURN NULL;
  END IF;
  IF EXISTS (SELECT 1 FROM seed.runs r WHERE r.id = v_run::uuid AND r.tenant_id = v_tenant AND r.state = 'running'
              AND r.purged_at IS NULL) THEN
    RETURN v_tenant;
  END IF;
  RETURN NULL;
END
$$;

-- When the run's purge phase ended (NULL while open). The seeder asks before it purges, so a
-- redelivered purge message is acknowledged without touching anything.
CREATE FUNCTION seed.purge_completed_at(p_run_id uuid)
RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT r.purged_at FROM seed.runs r WHERE r.id = p_run_id AND r.operation IN ('purge', 'reseed')
$$;
REVOKE ALL ON FUNCTION seed.purge_completed_at(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.purge_completed_at(uuid) TO semente_seeder;

-- Closes the purge phase of the run bound in this transaction. Refuses (42501) outside a purge
-- binding of that run, and (55000) while any row of the tenant, or checkpoint of the run's
-- environment and mode, is left. Returns the rows deleted over every attempt.
CREATE FUNCTION seed.complete_purge(p_run_id uuid)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_tenant text := seed.purge_bound_tenant();
  v_run seed.runs%ROWTYPE;
  v_left boolean;
  v_deleted bigint;
  t text;
BEGIN
  SELECT * INTO v_run FROM seed.runs r WHERE r.id = p_run_id FOR UPDATE;
  IF v_tenant IS NULL OR v_run.id IS NULL OR v_run.tenant_id <> v_tenant
     OR split_part(current_setting('app.purge_binding', true), ':', 2) <> p_run_id::text THEN
    RAISE EXCEPTION 'no open purge of run % is bound to this transaction', p_run_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- bind_run_tenant set app.tenant_id: the owner's policy shows exactly this tenant's rows.
  FOREACH t IN ARRAY ARRAY['banking.tenants', 'banking.users', 'banking.consultants', 'banking.customers',
    'banking.addresses', 'banking.account_categories', 'banking.suppliers', 'banking.bank_accounts',
    'banking.loans', 'banking.installments', 'banking.financial_transactions', 'banking.credit_limits',
    'banking.contracts']
  LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE tenant_id = $1)', t) INTO v_left USING v_tenant;
    IF v_left THEN
      RAISE EXCEPTION 'purge of run % is not complete: rows of % are left in %', p_run_id, v_tenant, t
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM seed.checkpoints c WHERE c.tenant_id = v_tenant AND c.environment = v_run.environment
              AND c.mode = v_run.mode) THEN
    RAISE EXCEPTION 'purge of run % is not complete: checkpoints of % are left', p_run_id, v_tenant
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  SELECT coalesce(sum(p.rows_deleted), 0) INTO v_deleted FROM seed.purge_progress p WHERE p.run_id = p_run_id;
  UPDATE seed.runs SET purged_at = now(), rows_deleted = v_deleted WHERE id = p_run_id;
  RETURN v_deleted;
END
$$;
REVOKE ALL ON FUNCTION seed.complete_purge(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.complete_purge(uuid) TO semente_seeder;
