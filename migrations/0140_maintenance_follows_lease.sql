-- The maintenance flag follows the run's lease (issue 11, R3.11).
--
-- Migration 0100 held a tenant under maintenance while one of its runs was `planning` or
-- `running`: a run whose planner died stayed `running`, and its tenant frozen, until someone
-- resumed, cancelled or took it over. Now the planner that executes a run stamps
-- `lease_expires_at` (database clock + the lease TTL) when it takes the run and at every lease
-- renewal, as long as the run still holds its tenant lease in NATS. A run whose stamp is in the
-- past holds nothing: no planner renews its lease, so the database stops refusing writes to the
-- tenant's banking rows without anyone acting. A run never stamped (NULL: not yet taken by a
-- planner of this release) still holds the tenant, as before. A planner that resumes the run
-- stamps it again, and the tenant is frozen again.

ALTER TABLE seed.runs ADD COLUMN lease_expires_at timestamptz;

CREATE OR REPLACE FUNCTION seed.tenant_under_maintenance(p_tenant text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT EXISTS (SELECT 1 FROM seed.tenant_maintenance m
                  WHERE m.tenant_id = p_tenant AND m.active AND (m.until IS NULL OR m.until > now()))
      OR EXISTS (SELECT 1 FROM seed.runs r
                  WHERE r.tenant_id = p_tenant AND r.state IN ('planning', 'running') AND NOT r.dry_run
                    AND (r.lease_expires_at IS NULL OR r.lease_expires_at > now()))
$$;

-- TRUNCATE wipes every tenant at once: refused while any tenant is under maintenance, by the same
-- predicate as a single tenant's writes (the tenants that may be: a flag row or a run in progress).
CREATE OR REPLACE FUNCTION seed.any_tenant_under_maintenance()
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT EXISTS (SELECT 1 FROM (SELECT m.tenant_id FROM seed.tenant_maintenance m WHERE m.active
                                UNION SELECT r.tenant_id FROM seed.runs r WHERE r.state IN ('planning', 'running')) t
                  WHERE seed.tenant_under_maintenance(t.tenant_id))
$$;
REVOKE ALL ON FUNCTION seed.any_tenant_under_maintenance() FROM PUBLIC;

CREATE OR REPLACE FUNCTION seed.refuse_writes_under_maintenance()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_tenant text := current_setting('app.tenant_id', true);
BEGIN
  -- The seeder writes only under a running run's binding; a superuser is outside what the flag governs.
  IF session_user = 'semente_seeder' OR (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'TRUNCATE' AND seed.any_tenant_under_maintenance() THEN
    RAISE EXCEPTION 'a tenant is under maintenance: TRUNCATE of %.% refused', TG_TABLE_SCHEMA, TG_TABLE_NAME
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF v_tenant <> '' AND seed.tenant_under_maintenance(v_tenant) THEN
    RAISE EXCEPTION 'tenant % is under maintenance: % on %.% refused', v_tenant, TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  RETURN NULL;
END
$$;
