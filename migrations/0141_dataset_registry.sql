-- Dataset registry (issue 11, R6.6): which run's data a tenant holds in this environment, and
-- until when.
--
-- A row opens when a seed or reseed run completes (not a dry run): the data is that run's, written
-- from its manifest in its mode, and a load or DR dataset expires after the manifest's `ttl` for
-- the mode. A baseline dataset has no expiry (the TTL clean-up acts after load/DR only, R6.6). A
-- row closes when the tenant's rows are purged — the purge phase of a purge or reseed run ends
-- (`purged_at`, migration 0120) — or when a later run's dataset replaces it. The tenant's banking
-- rows carry no mode: a tenant holds at most one open dataset per environment.
--
-- The rows are written by a trigger on seed.runs, in the statement that completes the run or
-- closes its purge phase, so the registry cannot disagree with the runs. The control plane reads
-- the registry and records the purge run its clean-up job submitted for an expired dataset
-- (`cleanup_run_id`, the only column it may change).

CREATE TABLE seed.datasets (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id       text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  environment     text NOT NULL CHECK (environment IN ('dev', 'homolog', 'staging', 'perf', 'prod')),
  mode            text NOT NULL CHECK (mode IN ('baseline', 'load', 'dr')),
  -- The seed or reseed run that wrote the data.
  run_id          uuid NOT NULL UNIQUE REFERENCES seed.runs (id),
  manifest_hash   text NOT NULL CHECK (manifest_hash ~ '^[0-9a-f]{64}$'),
  dataset_digest  text CHECK (dataset_digest ~ '^[0-9a-f]{64}$'),
  rows_written    bigint NOT NULL CHECK (rows_written >= 0),
  -- The manifest's `ttl` for the mode (ISO 8601 duration), as written.
  ttl             text,
  created_at      timestamptz NOT NULL,
  -- created_at + ttl for load and DR; NULL (kept until purged or replaced) for baseline.
  expires_at      timestamptz,
  -- The purge run the clean-up job submitted for this dataset once it expired (last attempt).
  cleanup_run_id  uuid REFERENCES seed.runs (id) ON DELETE SET NULL,
  closed_at       timestamptz,
  -- The run that purged or replaced the data.
  closed_by_run   uuid REFERENCES seed.runs (id),
  closed_reason   text CHECK (closed_reason IN ('purged', 'replaced')),
  CHECK ((closed_at IS NULL) = (closed_by_run IS NULL) AND (closed_at IS NULL) = (closed_reason IS NULL)),
  CHECK (expires_at IS NULL OR mode IN ('load', 'dr'))
);
CREATE UNIQUE INDEX datasets_one_open_idx ON seed.datasets (tenant_id, environment) WHERE closed_at IS NULL;
CREATE INDEX datasets_open_expiry_idx ON seed.datasets (expires_at) WHERE closed_at IS NULL AND expires_at IS NOT NULL;

GRANT SELECT ON seed.datasets TO semente_app;
GRANT UPDATE (cleanup_run_id) ON seed.datasets TO semente_app;

-- When a dataset of `p_mode` written at `p_from` expires: NULL for baseline, or a ttl PostgreSQL cannot read.
CREATE FUNCTION seed.dataset_expiry(p_mode text, p_ttl text, p_from timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- The manifest schema's TTL_PATTERN: weeks, days, hours.
  IF p_mode NOT IN ('load', 'dr') OR p_ttl IS NULL OR p_ttl !~ '^P(?=[0-9]|T[0-9])([0-9]+W)?([0-9]+D)?(T[0-9]+H)?$' THEN
    RETURN NULL;
  END IF;
  RETURN p_from + p_ttl::interval;
EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
  -- The manifest schema admits only P<n>W<n>DT<n>H; anything else must not block the run's completion.
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION seed.dataset_expiry(text, text, timestamptz) FROM PUBLIC;

CREATE FUNCTION seed.record_dataset()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_ttl text;
  v_at timestamptz;
BEGIN
  -- The purge phase ended: the tenant's rows in this environment are gone.
  IF OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL THEN
    UPDATE seed.datasets d SET closed_at = NEW.purged_at, closed_by_run = NEW.id, closed_reason = 'purged'
     WHERE d.tenant_id = NEW.tenant_id AND d.environment = NEW.environment AND d.closed_at IS NULL;
  END IF;
  -- A DR drill (operation `dr_drill`, where the build has it) restores the dataset like a reseed.
  IF OLD.state <> 'completed' AND NEW.state = 'completed' AND NEW.operation IN ('seed', 'reseed', 'dr_drill') THEN
    v_at := coalesce(NEW.finished_at, now());
    UPDATE seed.datasets d SET closed_at = v_at, closed_by_run = NEW.id, closed_reason = 'replaced'
     WHERE d.tenant_id = NEW.tenant_id AND d.environment = NEW.environment AND d.closed_at IS NULL
       AND d.run_id <> NEW.id;
    v_ttl := NEW.manifest -> 'ttl' ->> NEW.mode;
    INSERT INTO seed.datasets (tenant_id, environment, mode, run_id, manifest_hash, dataset_digest, rows_written,
                               ttl, created_at, expires_at)
    VALUES (NEW.tenant_id, NEW.environment, NEW.mode, NEW.id, NEW.manifest_hash, NEW.dataset_digest, NEW.rows_written,
            v_ttl, v_at, seed.dataset_expiry(NEW.mode, v_ttl, v_at))
    -- A run completes once; a row written back to `completed` by hand keeps its first registration.
    ON CONFLICT (run_id) DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION seed.record_dataset() FROM PUBLIC;

CREATE TRIGGER record_dataset AFTER UPDATE OF state, purged_at ON seed.runs
  FOR EACH ROW WHEN (NOT NEW.dry_run AND (
    (OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL)
    OR (OLD.state IS DISTINCT FROM NEW.state AND NEW.state = 'completed')))
  EXECUTE FUNCTION seed.record_dataset();

-- The data of runs completed before this migration: per tenant × environment, the newest completed
-- seed or reseed run, unless a purge phase ended after it.
INSERT INTO seed.datasets (tenant_id, environment, mode, run_id, manifest_hash, dataset_digest, rows_written, ttl,
                           created_at, expires_at)
SELECT r.tenant_id, r.environment, r.mode, r.id, r.manifest_hash, r.dataset_digest, r.rows_written,
       r.manifest -> 'ttl' ->> r.mode, coalesce(r.finished_at, r.updated_at),
       seed.dataset_expiry(r.mode, r.manifest -> 'ttl' ->> r.mode, coalesce(r.finished_at, r.updated_at))
  FROM (SELECT DISTINCT ON (tenant_id, environment) * FROM seed.runs
         WHERE state = 'completed' AND NOT dry_run AND operation IN ('seed', 'reseed')
         ORDER BY tenant_id, environment, coalesce(finished_at, updated_at) DESC, id) r
 WHERE NOT EXISTS (SELECT 1 FROM seed.runs p
                    WHERE p.tenant_id = r.tenant_id AND p.environment = r.environment
                      AND p.purged_at IS NOT NULL AND p.purged_at >= coalesce(r.finished_at, r.updated_at));
