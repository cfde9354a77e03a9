-- Token buckets of the gateway's rate limits, shared by every gateway replica (R2.2, R5.1).
-- Each request refills and takes from its buckets in one atomic upsert timed by the database
-- clock, so replicas with skewed clocks still agree.

CREATE TABLE seed.rate_limit_buckets (
  key         text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 300),
  tokens      double precision NOT NULL CHECK (tokens >= 0),
  -- Whether the last request that touched this bucket was allowed (read back by RETURNING).
  allowed     boolean NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE INDEX rate_limit_buckets_updated_idx ON seed.rate_limit_buckets (updated_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON seed.rate_limit_buckets TO semente_app;
