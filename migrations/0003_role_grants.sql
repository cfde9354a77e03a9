-- Least-privilege grants. The roles are cluster-wide and created by `semente db setup`
-- (setupDatabase) before the first migration. Later migrations grant on their own tables:
-- nothing here uses ALTER DEFAULT PRIVILEGES, so every grant is explicit and reviewable.

REVOKE ALL ON SCHEMA banking, seed FROM PUBLIC;
GRANT USAGE ON SCHEMA banking, seed TO semente_seeder, semente_app;

-- Data plane (seeders): DML on banking, under RLS.
GRANT SELECT, INSERT, UPDATE, DELETE ON
  banking.tenants, banking.users, banking.consultants, banking.customers, banking.addresses,
  banking.account_categories, banking.suppliers, banking.bank_accounts, banking.loans, banking.installments,
  banking.financial_transactions, banking.credit_limits, banking.contracts
  TO semente_seeder;
GRANT SELECT, INSERT, UPDATE ON seed.checkpoints, seed.batches TO semente_seeder;
GRANT INSERT ON seed.audit_log TO semente_seeder;
GRANT USAGE ON SEQUENCE seed.audit_log_id_seq TO semente_seeder;
GRANT SELECT ON seed.schema_migrations TO semente_seeder;

-- Control plane (gateway, planner, evidence): full DML on control tables, read-only banking
-- (drift checks, still under RLS), append-only audit log.
GRANT SELECT ON
  banking.tenants, banking.users, banking.consultants, banking.customers, banking.addresses,
  banking.account_categories, banking.suppliers, banking.bank_accounts, banking.loans, banking.installments,
  banking.financial_transactions, banking.credit_limits, banking.contracts
  TO semente_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
  seed.runs, seed.queue_entries, seed.idempotency_keys, seed.evidence_index, seed.budget_ledger,
  seed.tenant_maintenance, seed.profiles, seed.batches, seed.checkpoints
  TO semente_app;
GRANT USAGE ON SEQUENCE seed.budget_ledger_id_seq TO semente_app;
GRANT SELECT, INSERT ON seed.audit_log TO semente_app;
GRANT USAGE ON SEQUENCE seed.audit_log_id_seq TO semente_app;
GRANT SELECT ON seed.schema_migrations TO semente_app;
