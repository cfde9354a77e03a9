-- The spans of a run that other services continue or that the evidence report names (issue 14):
-- the gateway's request and admission spans, the planner's run span, the evidence build span.
-- The planner parents its run span on the admission span recorded here (a run may wait in the
-- queue and be admitted by the planner long after the request), and the evidence builder lists
-- these span ids in the signed report's `trace` item. Append-only, like the audit log.
CREATE TABLE seed.run_traces (
  run_id          uuid NOT NULL REFERENCES seed.runs (id) ON DELETE CASCADE,
  service         text NOT NULL CHECK (service ~ '^[a-z][a-z0-9-]{1,62}$'),
  span_name       text NOT NULL CHECK (length(span_name) BETWEEN 1 AND 200),
  trace_id        text NOT NULL CHECK (trace_id ~ '^[0-9a-f]{32}$' AND trace_id !~ '^0+$'),
  span_id         text NOT NULL CHECK (span_id ~ '^[0-9a-f]{16}$' AND span_id !~ '^0+$'),
  parent_span_id  text CHECK (parent_span_id ~ '^[0-9a-f]{16}$'),
  trace_flags     integer NOT NULL DEFAULT 1 CHECK (trace_flags BETWEEN 0 AND 255),
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, span_id)
);
CREATE INDEX run_traces_run_name_idx ON seed.run_traces (run_id, span_name, recorded_at);

GRANT SELECT, INSERT ON seed.run_traces TO semente_app;
