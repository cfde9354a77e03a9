-- The seeder reads its run (manifest, key version, reference_datetime) and sees cancellation
-- between batches; it never writes seed.runs. Column-level so it cannot read the principal,
-- the reason documents or the trace ids.
GRANT SELECT (id, environment, tenant_id, mode, dry_run, state, manifest_hash, manifest, reference_datetime,
  key_version) ON seed.runs TO semente_seeder;

-- The COPY write path stages rows in a `CREATE TEMP TABLE … ON COMMIT DROP` table (COPY FROM into
-- an RLS table is refused), and the dry run stages into one too. `semente db setup` revokes
-- TEMPORARY from PUBLIC; the database name differs per install, hence the dynamic GRANT.
DO $$
BEGIN
  EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO semente_seeder', current_database());
END
$$;
