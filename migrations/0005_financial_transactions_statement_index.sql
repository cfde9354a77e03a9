-- semente:no-transaction
-- Account statement lookups (extrato). CONCURRENTLY because the table may already be populated;
-- IF NOT EXISTS so a re-run after a crash is safe (drop an INVALID leftover index first).
CREATE INDEX CONCURRENTLY IF NOT EXISTS financial_transactions_statement_idx
  ON banking.financial_transactions (tenant_id, account_id, occurred_at);

CREATE INDEX CONCURRENTLY IF NOT EXISTS installments_due_idx
  ON banking.installments (tenant_id, due_on) WHERE status IN ('open', 'overdue');
