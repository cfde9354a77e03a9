-- UNIQUE (tenant_id, id) exists on every banking table so that children can reference their
-- parent with a composite FK (tenant_id, parent_id). No FK references the tables below: on them
-- that index only repeats the primary key on id (unique already, across tenants), and every
-- inserted row paid one more B-tree insertion for it (installments and financial_transactions
-- are most of the rows of a load run; measured in docs/performance.md). Tables some FK references
-- (tenants, users, consultants, customers, account_categories, bank_accounts, loans) keep theirs.
-- A future table referencing one of these re-adds it in its own migration.
ALTER TABLE banking.addresses DROP CONSTRAINT addresses_tenant_id_id_key;
ALTER TABLE banking.suppliers DROP CONSTRAINT suppliers_tenant_id_id_key;
ALTER TABLE banking.installments DROP CONSTRAINT installments_tenant_id_id_key;
ALTER TABLE banking.financial_transactions DROP CONSTRAINT financial_transactions_tenant_id_id_key;
ALTER TABLE banking.credit_limits DROP CONSTRAINT credit_limits_tenant_id_id_key;
ALTER TABLE banking.contracts DROP CONSTRAINT contracts_tenant_id_id_key;
