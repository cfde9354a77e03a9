-- Banking schema: the tables Semente fills with synthetic data.
-- Every row carries tenant_id; every FK includes it, so a child can never point at another
-- tenant's row. IDs are deterministic UUIDv5 values from our factories (no defaults) and
-- created_at is set by the factories from reference_datetime (no DEFAULT now()).
-- Money is numeric(18,2); rates are decimal fractions in numeric(9,6) (0.019500 = 1.95 %).

CREATE SCHEMA IF NOT EXISTS banking;

CREATE TABLE banking.tenants (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  tenant_id   text NOT NULL CHECK (tenant_id = id),
  legal_name  text NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 200),
  trade_name  text NOT NULL CHECK (length(trade_name) BETWEEN 1 AND 200),
  cnpj        char(14) NOT NULL CHECK (cnpj ~ '^\d{14}$'),
  ispb        char(8) NOT NULL CHECK (ispb ~ '^\d{8}$'),
  status      text NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
  created_at  timestamptz NOT NULL,
  UNIQUE (tenant_id, id)
);

CREATE TABLE banking.users (
  id            uuid PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES banking.tenants (id),
  login         text NOT NULL CHECK (login ~ '^[a-z0-9._-]{3,64}$'),
  email         text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  role          text NOT NULL CHECK (role IN ('admin', 'manager', 'consultant', 'operator', 'auditor')),
  status        text NOT NULL CHECK (status IN ('active', 'locked', 'disabled')),
  mfa_enabled   boolean NOT NULL,
  created_at    timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, login),
  UNIQUE (tenant_id, email)
);

CREATE TABLE banking.consultants (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES banking.tenants (id),
  user_id      uuid,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  email        text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  phone        text CHECK (phone ~ '^\+55\d{10,11}$'),
  branch_code  char(4) NOT NULL CHECK (branch_code ~ '^\d{4}$'),
  status       text NOT NULL CHECK (status IN ('active', 'inactive')),
  created_at   timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, email),
  FOREIGN KEY (tenant_id, user_id) REFERENCES banking.users (tenant_id, id)
);

CREATE TABLE banking.customers (
  id              uuid PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES banking.tenants (id),
  kind            text NOT NULL CHECK (kind IN ('PF', 'PJ')),
  full_name       text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
  trade_name      text CHECK (length(trade_name) BETWEEN 1 AND 200),
  cpf             char(11) CHECK (cpf ~ '^\d{11}$'),
  cnpj            char(14) CHECK (cnpj ~ '^\d{14}$'),
  birth_date      date,
  email           text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  phone           text NOT NULL CHECK (phone ~ '^\+55\d{10,11}$'),
  status          text NOT NULL CHECK (status IN ('active', 'blocked', 'closed')),
  consultant_id   uuid,
  monthly_income  numeric(18,2) NOT NULL CHECK (monthly_income >= 0),
  risk_rating     text NOT NULL CHECK (risk_rating IN ('AA', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H')),
  created_at      timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, cpf),
  UNIQUE (tenant_id, cnpj),
  UNIQUE (tenant_id, email),
  FOREIGN KEY (tenant_id, consultant_id) REFERENCES banking.consultants (tenant_id, id),
  -- Exactly one document, matching the kind: CPF for people (PF), CNPJ for companies (PJ).
  CHECK ((kind = 'PF' AND cpf IS NOT NULL AND cnpj IS NULL AND birth_date IS NOT NULL)
      OR (kind = 'PJ' AND cnpj IS NOT NULL AND cpf IS NULL))
);

CREATE TABLE banking.addresses (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES banking.tenants (id),
  customer_id  uuid NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('residential', 'commercial')),
  is_primary   boolean NOT NULL,
  street       text NOT NULL CHECK (length(street) BETWEEN 1 AND 200),
  number       text NOT NULL CHECK (number ~ '^(\d{1,6}[A-Z]?|S/N)$'),
  complement   text CHECK (length(complement) BETWEEN 1 AND 100),
  district     text NOT NULL CHECK (length(district) BETWEEN 1 AND 100),
  city         text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
  uf           char(2) NOT NULL CHECK (uf IN ('AC', 'AL', 'AP', 'AM', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MT',
                 'MS', 'MG', 'PA', 'PB', 'PR', 'PE', 'PI', 'RJ', 'RN', 'RS', 'RO', 'RR', 'SC', 'SP', 'SE', 'TO')),
  cep          char(8) NOT NULL CHECK (cep ~ '^\d{8}$'),
  created_at   timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES banking.customers (tenant_id, id)
);

-- Per-tenant catalogue (R4.1: no global shared catalogue).
CREATE TABLE banking.account_categories (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES banking.tenants (id),
  code         text NOT NULL CHECK (code ~ '^[A-Z0-9_]{2,32}$'),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description  text,
  active       boolean NOT NULL,
  created_at   timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, code)
);

CREATE TABLE banking.suppliers (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES banking.tenants (id),
  category_id  uuid NOT NULL,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  cnpj         char(14) NOT NULL CHECK (cnpj ~ '^\d{14}$'),
  email        text CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  phone        text CHECK (phone ~ '^\+55\d{10,11}$'),
  status       text NOT NULL CHECK (status IN ('active', 'inactive', 'blocked')),
  created_at   timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, cnpj),
  FOREIGN KEY (tenant_id, category_id) REFERENCES banking.account_categories (tenant_id, id)
);

CREATE TABLE banking.bank_accounts (
  id               uuid PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES banking.tenants (id),
  customer_id      uuid NOT NULL,
  category_id      uuid NOT NULL,
  branch           char(4) NOT NULL CHECK (branch ~ '^\d{4}$'),
  number           text NOT NULL CHECK (number ~ '^\d{1,12}$'),
  check_digit      char(1) NOT NULL CHECK (check_digit ~ '^[0-9X]$'),
  kind             text NOT NULL CHECK (kind IN ('checking', 'savings', 'payment')),
  status           text NOT NULL CHECK (status IN ('active', 'blocked', 'closed')),
  balance          numeric(18,2) NOT NULL,
  overdraft_limit  numeric(18,2) NOT NULL CHECK (overdraft_limit >= 0),
  opened_on        date NOT NULL,
  closed_on        date,
  created_at       timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, branch, number),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES banking.customers (tenant_id, id),
  FOREIGN KEY (tenant_id, category_id) REFERENCES banking.account_categories (tenant_id, id),
  -- A balance may only go negative within the overdraft limit (cheque especial).
  CHECK (balance >= -overdraft_limit),
  CHECK (closed_on IS NULL OR closed_on >= opened_on),
  CHECK ((status = 'closed') = (closed_on IS NOT NULL)),
  CHECK (kind = 'checking' OR overdraft_limit = 0)
);

CREATE TABLE banking.loans (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES banking.tenants (id),
  customer_id    uuid NOT NULL,
  account_id     uuid NOT NULL,
  product        text NOT NULL CHECK (product IN ('personal', 'payroll', 'vehicle', 'mortgage', 'working_capital')),
  amortization   text NOT NULL CHECK (amortization IN ('price', 'sac')),
  principal      numeric(18,2) NOT NULL CHECK (principal > 0),
  annual_rate    numeric(9,6) NOT NULL CHECK (annual_rate >= 0),
  monthly_rate   numeric(9,6) NOT NULL CHECK (monthly_rate >= 0),
  term_months    integer NOT NULL CHECK (term_months BETWEEN 1 AND 420),
  iof_amount     numeric(18,2) NOT NULL CHECK (iof_amount >= 0),
  cet_annual     numeric(9,6) NOT NULL CHECK (cet_annual >= 0),
  contracted_on  date NOT NULL,
  first_due_on   date NOT NULL,
  status         text NOT NULL CHECK (status IN ('active', 'paid', 'defaulted', 'cancelled')),
  created_at     timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES banking.customers (tenant_id, id),
  FOREIGN KEY (tenant_id, account_id) REFERENCES banking.bank_accounts (tenant_id, id),
  CHECK (first_due_on > contracted_on)
);

CREATE TABLE banking.installments (
  id                   uuid PRIMARY KEY,
  tenant_id            text NOT NULL REFERENCES banking.tenants (id),
  loan_id              uuid NOT NULL,
  number               integer NOT NULL CHECK (number BETWEEN 1 AND 420),
  due_on               date NOT NULL,
  principal_amount     numeric(18,2) NOT NULL CHECK (principal_amount >= 0),
  interest_amount      numeric(18,2) NOT NULL CHECK (interest_amount >= 0),
  total_amount         numeric(18,2) NOT NULL CHECK (total_amount > 0),
  outstanding_balance  numeric(18,2) NOT NULL CHECK (outstanding_balance >= 0),
  status               text NOT NULL CHECK (status IN ('open', 'paid', 'overdue', 'cancelled')),
  paid_on              date,
  created_at           timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, loan_id, number),
  FOREIGN KEY (tenant_id, loan_id) REFERENCES banking.loans (tenant_id, id),
  CHECK (total_amount = principal_amount + interest_amount),
  CHECK ((status = 'paid') = (paid_on IS NOT NULL))
);

CREATE TABLE banking.financial_transactions (
  id                      uuid PRIMARY KEY,
  tenant_id               text NOT NULL REFERENCES banking.tenants (id),
  account_id              uuid NOT NULL,
  kind                    text NOT NULL CHECK (kind IN ('pix_in', 'pix_out', 'ted_in', 'ted_out', 'boleto', 'card', 'fee',
                            'loan_disbursement', 'installment_payment')),
  direction               text NOT NULL CHECK (direction IN ('credit', 'debit')),
  amount                  numeric(18,2) NOT NULL CHECK (amount > 0),
  occurred_at             timestamptz NOT NULL,
  description             text NOT NULL CHECK (length(description) BETWEEN 1 AND 140),
  counterparty_name       text CHECK (length(counterparty_name) BETWEEN 1 AND 200),
  counterparty_document   text CHECK (counterparty_document ~ '^(\d{11}|\d{14})$'),
  counterparty_ispb       char(8) CHECK (counterparty_ispb ~ '^\d{8}$'),
  counterparty_branch     char(4) CHECK (counterparty_branch ~ '^\d{4}$'),
  counterparty_account    text CHECK (counterparty_account ~ '^\d{1,13}$'),
  end_to_end_id           text CHECK (end_to_end_id ~ '^E\d{8}\d{12}[A-Za-z0-9]{11}$'),
  loan_id                 uuid,
  created_at              timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, end_to_end_id),
  FOREIGN KEY (tenant_id, account_id) REFERENCES banking.bank_accounts (tenant_id, id),
  FOREIGN KEY (tenant_id, loan_id) REFERENCES banking.loans (tenant_id, id),
  -- The kind fixes the direction: money in is a credit, money out (and fees) a debit.
  CHECK ((direction = 'credit') = (kind IN ('pix_in', 'ted_in', 'loan_disbursement'))),
  -- Every PIX carries its end-to-end id (BCB format); other rails never do.
  CHECK ((kind IN ('pix_in', 'pix_out')) = (end_to_end_id IS NOT NULL)),
  CHECK (kind NOT IN ('loan_disbursement', 'installment_payment') OR loan_id IS NOT NULL)
);

CREATE TABLE banking.credit_limits (
  id            uuid PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES banking.tenants (id),
  customer_id   uuid NOT NULL,
  product       text NOT NULL CHECK (product IN ('overdraft', 'credit_card', 'personal_loan', 'payroll_loan')),
  limit_amount  numeric(18,2) NOT NULL CHECK (limit_amount >= 0),
  used_amount   numeric(18,2) NOT NULL CHECK (used_amount >= 0),
  status        text NOT NULL CHECK (status IN ('active', 'suspended', 'cancelled')),
  valid_from    date NOT NULL,
  valid_until   date NOT NULL,
  created_at    timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, customer_id, product),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES banking.customers (tenant_id, id),
  CHECK (used_amount <= limit_amount),
  CHECK (valid_until >= valid_from)
);

CREATE TABLE banking.contracts (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES banking.tenants (id),
  customer_id    uuid NOT NULL,
  loan_id        uuid,
  kind           text NOT NULL CHECK (kind IN ('loan', 'account_opening', 'credit_card', 'overdraft', 'service')),
  number         text NOT NULL CHECK (number ~ '^[A-Z0-9-]{6,40}$'),
  signed_on      date NOT NULL,
  status         text NOT NULL CHECK (status IN ('active', 'terminated', 'cancelled')),
  terminated_on  date,
  created_at     timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES banking.customers (tenant_id, id),
  FOREIGN KEY (tenant_id, loan_id) REFERENCES banking.loans (tenant_id, id),
  CHECK ((kind = 'loan') = (loan_id IS NOT NULL)),
  CHECK ((status = 'active') = (terminated_on IS NULL)),
  CHECK (terminated_on IS NULL OR terminated_on >= signed_on)
);

-- FK lookups (tables are empty here, so plain CREATE INDEX inside the transaction is fine).
CREATE INDEX consultants_user_idx ON banking.consultants (tenant_id, user_id);
CREATE INDEX customers_consultant_idx ON banking.customers (tenant_id, consultant_id);
CREATE INDEX addresses_customer_idx ON banking.addresses (tenant_id, customer_id);
CREATE INDEX suppliers_category_idx ON banking.suppliers (tenant_id, category_id);
CREATE INDEX bank_accounts_customer_idx ON banking.bank_accounts (tenant_id, customer_id);
CREATE INDEX bank_accounts_category_idx ON banking.bank_accounts (tenant_id, category_id);
CREATE INDEX loans_customer_idx ON banking.loans (tenant_id, customer_id);
CREATE INDEX loans_account_idx ON banking.loans (tenant_id, account_id);
CREATE INDEX financial_transactions_loan_idx ON banking.financial_transactions (tenant_id, loan_id);
CREATE INDEX contracts_customer_idx ON banking.contracts (tenant_id, customer_id);
CREATE INDEX contracts_loan_idx ON banking.contracts (tenant_id, loan_id);

-- Row-level security, enabled and FORCED (so the owner is subject to it too), one policy per
-- table keyed on the transaction-local app.tenant_id. An unset setting matches nothing.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenants', 'users', 'consultants', 'customers', 'addresses', 'account_categories',
    'suppliers', 'bank_accounts', 'loans', 'installments', 'financial_transactions', 'credit_limits', 'contracts']
  LOOP
    EXECUTE format('ALTER TABLE banking.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE banking.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON banking.%I FOR ALL '
      'USING (tenant_id = current_setting(''app.tenant_id'', true)) '
      'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', t);
  END LOOP;
END
$$;
