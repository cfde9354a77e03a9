-- DLQ replay is idempotent (issue 12 item 6): one row per dead batch record that was replayed.
-- `semente dlq replay` claims the row first; a second replay of the same record finds it and
-- reports the run the first one resumed instead of resuming another. A claim whose holder
-- crashed before recording its outcome may be taken over after ten minutes.
CREATE TABLE seed.dlq_replays (
  -- `<source stream>:<source seq>`, the id `semente dlq list` shows.
  dlq_id       text PRIMARY KEY CHECK (dlq_id ~ '^[A-Za-z0-9_-]+:[0-9]+$'),
  dlq_seq      bigint NOT NULL CHECK (dlq_seq > 0),
  source_run   uuid REFERENCES seed.runs (id) ON DELETE CASCADE,
  state        text NOT NULL CHECK (state IN ('claimed', 'done')),
  -- The run re-submitted to resume (the source run was terminal), when that was the outcome.
  replay_run   uuid REFERENCES seed.runs (id) ON DELETE SET NULL,
  -- `<stream>:<seq>` the batch was re-published to (the source run was still live).
  republished  text,
  principal    text NOT NULL,
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  done_at      timestamptz,
  CHECK ((state = 'done') = (done_at IS NOT NULL))
);
GRANT SELECT, INSERT, UPDATE, DELETE ON seed.dlq_replays TO semente_app;
