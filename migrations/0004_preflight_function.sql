-- SQL mirror of the role and RLS checks of the TypeScript preflight (assertPreflight), for
-- operators in psql. Services call the TypeScript one, which also checks pending migrations
-- against the files on disk. SECURITY INVOKER so it inspects the calling role.

CREATE FUNCTION seed.preflight()
RETURNS TABLE (check_name text, ok boolean, detail text)
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog
AS $$
  SELECT 'role',
         NOT (r.rolsuper OR r.rolbypassrls),
         CASE WHEN r.rolsuper THEN 'superuser' WHEN r.rolbypassrls THEN 'bypassrls' ELSE 'ok' END
    FROM pg_roles r
   WHERE r.rolname = current_user
  UNION ALL
  SELECT 'rls',
         count(*) FILTER (WHERE NOT (c.relrowsecurity AND c.relforcerowsecurity)) = 0,
         coalesce(string_agg(n.nspname || '.' || c.relname, ', ' ORDER BY c.relname)
                    FILTER (WHERE NOT (c.relrowsecurity AND c.relforcerowsecurity)), 'ok')
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p')
     AND (n.nspname = 'banking' OR (n.nspname = 'seed' AND c.relname = 'checkpoints'))
$$;

REVOKE ALL ON FUNCTION seed.preflight() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.preflight() TO semente_seeder, semente_app;
