-- Control plane: runs, batches, checkpoints, idempotency, queue, evidence, budget, maintenance
-- and the append-only audit log. These tables record real time, so DEFAULT now() is fine here.
-- seed.schema_migrations is created by the migration runner itself (it must exist before 0001).

CREATE SCHEMA IF NOT EXISTS seed;

CREATE TABLE seed.profiles (
  environment    text NOT NULL CHECK (environment IN ('dev', 'homolog', 'staging', 'perf', 'prod')),
  tenant_id      text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  manifest_hash  text NOT NULL CHECK (manifest_hash ~ '^[0-9a-f]{64}$'),
  profile        text NOT NULL,
  version        text NOT NULL,
  manifest       jsonb NOT NULL,
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (environment, tenant_id, manifest_hash)
);
CREATE INDEX profiles_latest_idx ON seed.profiles (environment, tenant_id, created_at DESC);

CREATE TABLE seed.runs (
  id                  uuid PRIMARY KEY,
  environment         text NOT NULL CHECK (environment IN ('dev', 'homolog', 'staging', 'perf', 'prod')),
  tenant_id           text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  mode                text NOT NULL CHECK (mode IN ('baseline', 'load', 'dr')),
  dry_run             boolean NOT NULL DEFAULT false,
  state               text NOT NULL CHECK (state IN ('queued', 'admitted', 'planning', 'running', 'completed', 'failed',
                        'cancelled', 'expired', 'aborted')),
  manifest_hash       text NOT NULL CHECK (manifest_hash ~ '^[0-9a-f]{64}$'),
  manifest_version    text NOT NULL,
  manifest            jsonb NOT NULL,
  reference_datetime  timestamptz NOT NULL,
  key_version         integer NOT NULL CHECK (key_version >= 1),
  principal           text NOT NULL,
  etag_version        integer NOT NULL DEFAULT 1 CHECK (etag_version >= 1),
  -- RFC 9457 problem body when the run failed, expired, was aborted or cancelled.
  reason              jsonb,
  trace_id            text CHECK (trace_id ~ '^[0-9a-f]{32}$'),
  dataset_digest      text CHECK (dataset_digest ~ '^[0-9a-f]{64}$'),
  rows_planned        bigint CHECK (rows_planned >= 0),
  rows_written        bigint NOT NULL DEFAULT 0 CHECK (rows_written >= 0),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  started_at          timestamptz,
  finished_at         timestamptz,
  queued_until        timestamptz,
  CHECK (finished_at IS NULL OR state IN ('completed', 'failed', 'cancelled', 'expired', 'aborted')),
  CHECK (state <> 'queued' OR queued_until IS NOT NULL)
);
CREATE INDEX runs_environment_state_idx ON seed.runs (environment, state);
CREATE INDEX runs_tenant_environment_state_idx ON seed.runs (tenant_id, environment, state);
CREATE INDEX runs_created_at_idx ON seed.runs (created_at DESC, id);

CREATE TABLE seed.batches (
  run_id        uuid NOT NULL REFERENCES seed.runs (id) ON DELETE CASCADE,
  entity        text NOT NULL CHECK (entity ~ '^[a-z][a-z0-9_]{1,62}$'),
  batch_index   integer NOT NULL CHECK (batch_index >= 0),
  -- FK level in plan order: level n is released once every batch of level n-1 is committed.
  level         integer NOT NULL CHECK (level >= 0),
  from_ordinal  bigint NOT NULL CHECK (from_ordinal >= 0),
  to_ordinal    bigint NOT NULL,
  state         text NOT NULL CHECK (state IN ('pending', 'published', 'running', 'committed', 'failed',
                  'dead_lettered')),
  attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  row_count     bigint CHECK (row_count >= 0),
  digest        text CHECK (digest ~ '^[0-9a-f]{64}$'),
  last_error    jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  committed_at  timestamptz,
  PRIMARY KEY (run_id, entity, batch_index),
  CHECK (to_ordinal > from_ordinal),
  CHECK ((state = 'committed') = (committed_at IS NOT NULL AND digest IS NOT NULL))
);
CREATE INDEX batches_run_state_idx ON seed.batches (run_id, state, level);

-- Segregated per tenant with RLS like the banking tables (R6.1); kept until the next successful
-- reseed of the same tenant × mode and at most 30 days.
CREATE TABLE seed.checkpoints (
  tenant_id           text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  environment         text NOT NULL CHECK (environment IN ('dev', 'homolog', 'staging', 'perf', 'prod')),
  mode                text NOT NULL CHECK (mode IN ('baseline', 'load', 'dr')),
  run_id              uuid NOT NULL REFERENCES seed.runs (id) ON DELETE CASCADE,
  entity              text NOT NULL CHECK (entity ~ '^[a-z][a-z0-9_]{1,62}$'),
  batch_index         integer NOT NULL CHECK (batch_index >= 0),
  from_ordinal        bigint NOT NULL CHECK (from_ordinal >= 0),
  to_ordinal          bigint NOT NULL,
  row_count           bigint NOT NULL CHECK (row_count >= 0),
  digest              text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  manifest_hash       text NOT NULL CHECK (manifest_hash ~ '^[0-9a-f]{64}$'),
  key_version         integer NOT NULL CHECK (key_version >= 1),
  reference_datetime  timestamptz NOT NULL,
  committed_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, entity, batch_index),
  CHECK (to_ordinal > from_ordinal)
);
CREATE INDEX checkpoints_scope_idx ON seed.checkpoints (tenant_id, environment, mode, committed_at DESC);
ALTER TABLE seed.checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE seed.checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON seed.checkpoints FOR ALL
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

CREATE TABLE seed.idempotency_keys (
  key          text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 255),
  principal    text NOT NULL,
  route        text NOT NULL,
  -- sha256 of method + route + canonical body (manifest hash for seed-runs).
  fingerprint  text NOT NULL,
  state        text NOT NULL CHECK (state IN ('in_flight', 'completed')),
  status       integer CHECK (status BETWEEN 100 AND 599),
  headers      jsonb,
  body         bytea,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  CHECK (state = 'in_flight' OR status IS NOT NULL),
  CHECK (expires_at > created_at)
);
CREATE INDEX idempotency_keys_expires_idx ON seed.idempotency_keys (expires_at);

CREATE TABLE seed.queue_entries (
  run_id       uuid PRIMARY KEY REFERENCES seed.runs (id) ON DELETE CASCADE,
  environment  text NOT NULL CHECK (environment IN ('dev', 'homolog', 'staging', 'perf', 'prod')),
  tenant_id    text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  mode         text NOT NULL CHECK (mode IN ('baseline', 'load', 'dr')),
  state        text NOT NULL CHECK (state IN ('waiting', 'admitted', 'expired', 'cancelled')),
  -- Which slot the entry waits for: the environment's global cap or the tenant lease.
  waiting_for  text NOT NULL CHECK (waiting_for IN ('global_slot', 'tenant_lease')),
  enqueued_at  timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  resolved_at  timestamptz,
  CHECK (expires_at > enqueued_at),
  CHECK ((state = 'waiting') = (resolved_at IS NULL))
);
CREATE INDEX queue_entries_waiting_idx ON seed.queue_entries (environment, enqueued_at) WHERE state = 'waiting';
CREATE INDEX queue_entries_expiry_idx ON seed.queue_entries (expires_at) WHERE state = 'waiting';

CREATE TABLE seed.evidence_index (
  run_id            uuid NOT NULL REFERENCES seed.runs (id),
  location          text NOT NULL,
  sha256            text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes        bigint NOT NULL CHECK (size_bytes > 0),
  signature         text NOT NULL,
  signature_alg     text NOT NULL,
  signature_key_id  text NOT NULL,
  storage           text NOT NULL CHECK (storage IN ('s3', 'filesystem')),
  environment       text NOT NULL CHECK (environment IN ('dev', 'homolog', 'staging', 'perf', 'prod')),
  tenant_id         text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  retain_until      timestamptz NOT NULL,
  verified_at       timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, location),
  -- WORM retention is at least one year (R7.2).
  CHECK (retain_until >= created_at + interval '1 year')
);
CREATE INDEX evidence_index_scope_idx ON seed.evidence_index (tenant_id, environment, created_at DESC);

CREATE TABLE seed.budget_ledger (
  id           bigserial PRIMARY KEY,
  run_id       uuid NOT NULL REFERENCES seed.runs (id) ON DELETE CASCADE,
  environment  text NOT NULL CHECK (environment IN ('dev', 'homolog', 'staging', 'perf', 'prod')),
  tenant_id    text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  kind         text NOT NULL CHECK (kind IN ('estimate', 'measurement', 'alert', 'abort')),
  amount       numeric(18,6) NOT NULL CHECK (amount >= 0),
  budget       numeric(18,6) NOT NULL CHECK (budget >= 0),
  currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  cost_model   text NOT NULL,
  details      jsonb,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX budget_ledger_run_idx ON seed.budget_ledger (run_id, recorded_at);

CREATE TABLE seed.tenant_maintenance (
  tenant_id    text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  environment  text NOT NULL CHECK (environment IN ('dev', 'homolog', 'staging', 'perf', 'prod')),
  active       boolean NOT NULL,
  reason       text,
  run_id       uuid REFERENCES seed.runs (id) ON DELETE SET NULL,
  set_by       text NOT NULL,
  since        timestamptz NOT NULL DEFAULT now(),
  until        timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, environment)
);

CREATE TABLE seed.audit_log (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor        text NOT NULL,
  action       text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.-]{1,63}$'),
  tenant_id    text,
  environment  text,
  run_id       uuid,
  outcome      text NOT NULL CHECK (outcome IN ('success', 'refused', 'failure')),
  -- Problem code (SCREAMING_SNAKE) when refused or failed.
  reason       text,
  details      jsonb
);
CREATE INDEX audit_log_run_idx ON seed.audit_log (run_id, at);
CREATE INDEX audit_log_scope_idx ON seed.audit_log (tenant_id, environment, at);

-- Append-only: privileges already exclude UPDATE/DELETE, the trigger also stops the owner.
CREATE FUNCTION seed.audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'seed.audit_log is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON seed.audit_log
  FOR EACH ROW EXECUTE FUNCTION seed.audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON seed.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION seed.audit_log_append_only();
