-- Tenant data lifecycle (issue 11): purge as a run, the maintenance flag enforced by the database.
--
-- Purge. A run has an operation: `seed` (every run so far), `purge`, or `reseed` (purge, then
-- regenerate, in one run). The data plane deletes a tenant's rows only in a transaction bound to a
-- running purge or reseed run of that tenant: seed.bind_purge_tenant does what bind_run_tenant does
-- and also sets `app.purge_binding` (MAC'd like the tenant binding, over a distinct message), and a
-- RESTRICTIVE DELETE policy of the seeder requires it. A seeding run's binding deletes nothing.
-- Each deleted chunk is recorded in seed.purge_progress in the same transaction: a purge killed
-- in the middle resumes where it stopped and still knows how many rows it deleted per entity.
--
-- Maintenance (R3.11). While a tenant is under maintenance — a row of seed.tenant_maintenance is
-- active and not past `until`, or a non-dry run of the tenant is planning or running — a statement
-- trigger refuses every write to its banking rows by any role but the seeder (which writes only
-- under a running run's binding). The run-derived part ends with the run's state.

ALTER TABLE seed.runs ADD COLUMN operation text NOT NULL DEFAULT 'seed'
  CHECK (operation IN ('seed', 'purge', 'reseed'));

CREATE TABLE seed.purge_progress (
  run_id        uuid NOT NULL REFERENCES seed.runs (id) ON DELETE CASCADE,
  tenant_id     text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  -- A banking table, or `checkpoints` for the tenant's checkpoints of the run's mode.
  entity        text NOT NULL CHECK (entity ~ '^[a-z][a-z0-9_]{1,62}$'),
  chunk         integer NOT NULL CHECK (chunk >= 0),
  rows_deleted  bigint NOT NULL CHECK (rows_deleted >= 0),
  committed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, entity, chunk)
);
ALTER TABLE seed.purge_progress ENABLE ROW LEVEL SECURITY;
ALTER TABLE seed.purge_progress FORCE ROW LEVEL SECURITY;
CREATE POLICY seeder_bound_run ON seed.purge_progress FOR ALL TO semente_seeder
  USING (tenant_id = (SELECT seed.bound_tenant())) WITH CHECK (tenant_id = (SELECT seed.bound_tenant()));
CREATE POLICY app_read ON seed.purge_progress FOR SELECT TO semente_app
  USING (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY owner_tenant ON seed.purge_progress FOR ALL TO semente_owner
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
GRANT INSERT, SELECT ON seed.purge_progress TO semente_seeder;
GRANT SELECT ON seed.purge_progress TO semente_app;

CREATE FUNCTION seed.bind_purge_tenant(p_run_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_tenant text;
BEGIN
  SELECT r.tenant_id INTO v_tenant FROM seed.runs r
   WHERE r.id = p_run_id AND r.state = 'running' AND r.operation IN ('purge', 'reseed') AND NOT r.dry_run;
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION 'run % is not a running purge: no purge context', p_run_id USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM seed.bind_run_tenant(p_run_id);
  PERFORM set_config('app.purge_binding', v_tenant || ':' || seed.binding_mac('purge/' || v_tenant), true);
  RETURN v_tenant;
END
$$;
REVOKE ALL ON FUNCTION seed.bind_purge_tenant(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.bind_purge_tenant(uuid) TO semente_seeder;

-- The tenant a purge binding names for the current transaction, or NULL (forged, copied, replayed).
CREATE FUNCTION seed.purge_bound_tenant()
RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_binding text := current_setting('app.purge_binding', true);
  v_tenant text;
BEGIN
  IF v_binding IS NULL OR position(':' IN v_binding) = 0 THEN
    RETURN NULL;
  END IF;
  v_tenant := split_part(v_binding, ':', 1);
  IF split_part(v_binding, ':', 2) = seed.binding_mac('purge/' || v_tenant) THEN
    RETURN v_tenant;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION seed.purge_bound_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.purge_bound_tenant() TO semente_seeder;

-- Whether the tenant's banking rows are frozen for everyone but the seeder.
CREATE FUNCTION seed.tenant_under_maintenance(p_tenant text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT EXISTS (SELECT 1 FROM seed.tenant_maintenance m
                  WHERE m.tenant_id = p_tenant AND m.active AND (m.until IS NULL OR m.until > now()))
      OR EXISTS (SELECT 1 FROM seed.runs r
                  WHERE r.tenant_id = p_tenant AND r.state IN ('planning', 'running') AND NOT r.dry_run)
$$;
REVOKE ALL ON FUNCTION seed.tenant_under_maintenance(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.tenant_under_maintenance(text) TO semente_app;

-- `semente maintenance set|clear` (control plane, audited).
GRANT INSERT, UPDATE ON seed.tenant_maintenance TO semente_app;

-- Statement-level, so the seeder's bulk inserts pay one check per statement, not per row. The
-- owner reaches only the rows of its free-form `app.tenant_id` (policy owner_tenant), which is the
-- tenant checked; the control plane and the verifier hold no write privilege on banking rows.
CREATE FUNCTION seed.refuse_writes_under_maintenance()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_tenant text;
BEGIN
  -- The seeder writes only under a running run's binding. A superuser bypasses RLS and every other
  -- control here (fixtures, break-glass); it is not what this flag governs.
  IF session_user = 'semente_seeder' OR (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'TRUNCATE' AND EXISTS (SELECT 1 FROM seed.tenant_maintenance m WHERE m.active AND (m.until IS NULL OR m.until > now())
      UNION ALL SELECT 1 FROM seed.runs r WHERE r.state IN ('planning', 'running') AND NOT r.dry_run) THEN
    RAISE EXCEPTION 'a tenant is under maintenance: TRUNCATE of %.% refused', TG_TABLE_SCHEMA, TG_TABLE_NAME
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  v_tenant := current_setting('app.tenant_id', true);
  IF v_tenant IS NOT NULL AND v_tenant <> '' AND seed.tenant_under_maintenance(v_tenant) THEN
    RAISE EXCEPTION 'tenant % is under maintenance: % on %.% refused', v_tenant, TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION seed.refuse_writes_under_maintenance() FROM PUBLIC;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['banking.tenants', 'banking.users', 'banking.consultants', 'banking.customers',
    'banking.addresses', 'banking.account_categories', 'banking.suppliers', 'banking.bank_accounts',
    'banking.loans', 'banking.installments', 'banking.financial_transactions', 'banking.credit_limits',
    'banking.contracts', 'seed.checkpoints']
  LOOP
    EXECUTE format('GRANT DELETE ON %s TO semente_seeder', t);
    EXECUTE format('CREATE POLICY seeder_purge_only ON %s AS RESTRICTIVE FOR DELETE TO semente_seeder '
      'USING (tenant_id = (SELECT seed.purge_bound_tenant()))', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['banking.tenants', 'banking.users', 'banking.consultants', 'banking.customers',
    'banking.addresses', 'banking.account_categories', 'banking.suppliers', 'banking.bank_accounts',
    'banking.loans', 'banking.installments', 'banking.financial_transactions', 'banking.credit_limits',
    'banking.contracts']
  LOOP
    EXECUTE format('CREATE TRIGGER refuse_writes_under_maintenance BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE '
      'ON %s FOR EACH STATEMENT EXECUTE FUNCTION seed.refuse_writes_under_maintenance()', t);
  END LOOP;
END
$$;
