-- Least privilege per role (issue 10 §3). docs/db-roles.md holds the resulting matrix, and
-- packages/shared/tests/db/privileges.test.ts compares it with the catalog. semente_verifier is
-- created by `semente db setup` before this file runs.

-- Data plane: inserts banking rows and checkpoints (SELECT stays: CREATE TEMP TABLE … LIKE of the
-- COPY and dry-run paths needs it, and RLS limits it to the bound tenant). It never updates nor
-- deletes banking rows, never touches the planner's seed.batches, and reads its run only through
-- seed.seeder_run (below), not the whole seed.runs with every tenant's manifests.
REVOKE UPDATE, DELETE ON
  banking.tenants, banking.users, banking.consultants, banking.customers, banking.addresses,
  banking.account_categories, banking.suppliers, banking.bank_accounts, banking.loans, banking.installments,
  banking.financial_transactions, banking.credit_limits, banking.contracts
  FROM semente_seeder;
REVOKE ALL ON seed.batches, seed.runs FROM semente_seeder;
REVOKE UPDATE ON seed.checkpoints FROM semente_seeder;

-- Control plane: no banking rows at all (drift checks and `semente verify` use semente_verifier),
-- checkpoints read-only, nothing deleted that it never deletes, tables it never uses dropped.
REVOKE ALL ON
  banking.tenants, banking.users, banking.consultants, banking.customers, banking.addresses,
  banking.account_categories, banking.suppliers, banking.bank_accounts, banking.loans, banking.installments,
  banking.financial_transactions, banking.credit_limits, banking.contracts
  FROM semente_app;
REVOKE DELETE ON seed.runs, seed.queue_entries, seed.batches FROM semente_app;
REVOKE INSERT, UPDATE, DELETE ON seed.checkpoints, seed.tenant_maintenance FROM semente_app;
REVOKE ALL ON seed.budget_ledger, seed.profiles FROM semente_app;
REVOKE ALL ON SEQUENCE seed.budget_ledger_id_seq FROM semente_app;

-- Verification: read-only, banking and checkpoints under RLS (policies in 0051), and the
-- columns of seed.runs `semente verify` compares with.
GRANT USAGE ON SCHEMA banking, seed TO semente_verifier;
GRANT SELECT ON
  banking.tenants, banking.users, banking.consultants, banking.customers, banking.addresses,
  banking.account_categories, banking.suppliers, banking.bank_accounts, banking.loans, banking.installments,
  banking.financial_transactions, banking.credit_limits, banking.contracts, seed.checkpoints
  TO semente_verifier;
GRANT SELECT (id, environment, tenant_id, state, dry_run, manifest_hash, dataset_digest, finished_at)
  ON seed.runs TO semente_verifier;

-- Audit: nobody inserts rows directly any more. seed.append_audit records the database role of
-- the session (session_user, which no SET ROLE changes) in db_role, and takes the actor from it:
-- only the control plane, which authenticates principals (JWT subjects), names another actor.
REVOKE INSERT ON seed.audit_log FROM semente_seeder, semente_app;
REVOKE ALL ON SEQUENCE seed.audit_log_id_seq FROM semente_seeder, semente_app;
ALTER TABLE seed.audit_log ADD COLUMN db_role text;

CREATE FUNCTION seed.append_audit(p_actor text, p_action text, p_outcome text, p_tenant_id text,
  p_environment text, p_run_id uuid, p_reason text, p_details jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_actor text := p_actor;
BEGIN
  IF session_user <> 'semente_app' THEN
    IF p_actor IS DISTINCT FROM session_user::text THEN
      RAISE EXCEPTION 'audit actor of % is its own role', session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    v_actor := session_user;
  END IF;
  INSERT INTO seed.audit_log (actor, action, outcome, tenant_id, environment, run_id, reason, details, db_role)
  VALUES (v_actor, p_action, p_outcome, p_tenant_id, p_environment, p_run_id, p_reason, p_details, session_user);
END
$$;
REVOKE ALL ON FUNCTION seed.append_audit(text, text, text, text, text, uuid, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.append_audit(text, text, text, text, text, uuid, text, jsonb)
  TO semente_seeder, semente_app;

-- The seeder's view of one run: what the write path needs, the manifest only while the run is
-- running (admitted and planned). Looked up by id (random uuids), never listed.
CREATE FUNCTION seed.seeder_run(p_run_id uuid)
RETURNS TABLE (id uuid, environment text, tenant_id text, mode text, dry_run boolean, state text,
  manifest_hash text, manifest jsonb, reference_datetime timestamptz, key_version integer)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT r.id, r.environment, r.tenant_id, r.mode, r.dry_run, r.state, r.manifest_hash,
         CASE WHEN r.state = 'running' THEN r.manifest END, r.reference_datetime, r.key_version
    FROM seed.runs r
   WHERE r.id = p_run_id
$$;
REVOKE ALL ON FUNCTION seed.seeder_run(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seed.seeder_run(uuid) TO semente_seeder;

GRANT EXECUTE ON FUNCTION seed.preflight() TO semente_verifier;
