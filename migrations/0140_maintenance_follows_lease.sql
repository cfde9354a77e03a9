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

CREATE OR REPLACE FUNCTION seed.refuse_writes_under_maintenance()
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
      UNION ALL SELECT 1 FROM seed.runs r WHERE r.state IN ('planning', 'running') AND NOT r.dry_run
                   AND (r.lease_expires_at IS NULL OR r.lease_expires_at > now())) THEN
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
