-- The tenant context is bound to an admitted run (issue 10 §4). Before, any seeder session chose
-- its tenant with set_config('app.tenant_id', …). Now the data-plane role's policies accept only
-- the tenant that seed.bind_run_tenant bound to the current transaction after checking that the
-- named run of that tenant is `running`:
--   * bind_run_tenant sets the transaction-local `app.tenant_binding` to
--     `<tenant>:<MAC(tenant, backend pid, transaction start)>`, keyed with a secret only the
--     owner reads, and, in a writable transaction, records the binding in seed.tenant_bindings
--     (a read-only lookup is not recorded: the insert would cost it a WAL flush at commit);
--   * the policies compare tenant_id with `(SELECT seed.bound_tenant())`, which recomputes the
--     MAC: an uncorrelated sub-select, so it runs once per statement (an InitPlan), not per row,
--     and reads no table a seeder writes (no serialization conflicts between batches).
-- A setting forged or copied from another session or transaction yields NULL: nothing is seen
-- nor written. The control plane (checkpoints) and the verifier (banking, checkpoints) keep a
-- read-only free-form `app.tenant_id` context: they read every tenant by design and write none.

CREATE TABLE seed.tenant_binding_keys (
  id         integer PRIMARY KEY CHECK (id = 1),
  -- NMAC-SHA256: two independent 64-byte keys, MAC = sha256(outer || sha256(inner || message)).
  inner_key  bytea NOT NULL CHECK (length(inner_key) = 64),
  outer_key  bytea NOT NULL CHECK (length(outer_key) = 64)
);
-- gen_random_uuid() draws from the server's strong random source (122 random bits per uuid).
INSERT INTO seed.tenant_binding_keys (id, inner_key, outer_key)
SELECT 1,
       decode(string_agg(replace(gen_random_uuid()::text, '-', ''), '') FILTER (WHERE g <= 4), 'hex'),
       decode(string_agg(replace(gen_random_uuid()::text, '-', ''), '') FILTER (WHERE g > 4), 'hex')
  FROM generate_series(1, 8) AS g;

-- Who bound which run, from which session and transaction (writable transactions). Insert-only,
-- through the function.
CREATE TABLE seed.tenant_bindings (
  id           bigserial PRIMARY KEY,
  run_id       uuid NOT NULL REFERENCES seed.runs (id) ON DELETE CASCADE,
  tenant_id    text NOT NULL,
  db_role      text NOT NULL,
  backend_pid  integer NOT NULL,
  xact_id      xid8 NOT NULL,
  bound_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_bindings_run_idx ON seed.tenant_bindings (run_id);

CREATE FUNCTION seed.binding_mac(p_tenant text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT encode(sha256(k.outer_key || sha256(k.inner_key || convert_to(
           p_tenant || '/' || pg_backend_pid()::text || '/' || extract(epoch FROM transaction_timestamp())::text,
           'UTF8'))), 'hex')
    FROM seed.tenant_binding_keys k
$$;
REVOKE ALL ON FUNCTION seed.binding_mac(text) FROM PUBLIC;

CREATE FUNCTION seed.bind_run_tenant(p_run_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_tenant text;
  v_xact xid8;
BEGIN
  SELECT r.tenant_id INTO v_tenant FROM seed.runs r WHERE r.id = p_run_id AND r.state = 'running';
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION 'run % is not running: no tenant context', p_run_id USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF current_setting('transaction_read_only') = 'off' THEN
    v_xact := pg_current_xact_id();
    INSERT INTO seed.tenant_bindings (run_id, tenant_id, db_role, backend_pid, xact_id)
    VALUES (p_run_id, v_tenant, session_user, pg_backend_pid(), v_xact);
  END IF;
  PERFORM set_config('app.tenant_binding', v_tenant || ':' || seed.binding_mac(v_tenant), true);
  PERFORM set_config('app.tenant_id', v_tenant, true);
  RETURN v_tenant;
END
$$;
REVOKE ALL ON FUNCTION seed.bind_run_tenant(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.bind_run_tenant(uuid) TO semente_seeder;

-- The tenant bound to the current transaction, or NULL. The transaction is told apart by its
-- backend and its start time (epoch, microseconds; independent of TimeZone and DateStyle): a
-- value replayed in a later transaction or another session does not verify.
CREATE FUNCTION seed.bound_tenant()
RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_binding text := current_setting('app.tenant_binding', true);
  v_tenant text;
BEGIN
  IF v_binding IS NULL OR position(':' IN v_binding) = 0 THEN
    RETURN NULL;
  END IF;
  v_tenant := split_part(v_binding, ':', 1);
  IF split_part(v_binding, ':', 2) = seed.binding_mac(v_tenant) THEN
    RETURN v_tenant;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION seed.bound_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.bound_tenant() TO semente_seeder;

-- Policies per role replace the one free-form policy of every tenant table.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['banking.tenants', 'banking.users', 'banking.consultants', 'banking.customers',
    'banking.addresses', 'banking.account_categories', 'banking.suppliers', 'banking.bank_accounts',
    'banking.loans', 'banking.installments', 'banking.financial_transactions', 'banking.credit_limits',
    'banking.contracts', 'seed.checkpoints']
  LOOP
    EXECUTE format('DROP POLICY tenant_isolation ON %s', t);
    EXECUTE format('CREATE POLICY seeder_bound_run ON %s FOR ALL TO semente_seeder '
      'USING (tenant_id = (SELECT seed.bound_tenant())) WITH CHECK (tenant_id = (SELECT seed.bound_tenant()))', t);
    EXECUTE format('CREATE POLICY verifier_read ON %s FOR SELECT TO semente_verifier '
      'USING (tenant_id = current_setting(''app.tenant_id'', true))', t);
    -- The owner runs migrations and backfills; it can alter the table anyway.
    EXECUTE format('CREATE POLICY owner_tenant ON %s FOR ALL TO semente_owner '
      'USING (tenant_id = current_setting(''app.tenant_id'', true)) '
      'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', t);
  END LOOP;
END
$$;
CREATE POLICY app_read ON seed.checkpoints FOR SELECT TO semente_app
  USING (tenant_id = current_setting('app.tenant_id', true));
